//! The desktop app's entry point; everything happens in the library.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    village_health_desktop::run()
}
