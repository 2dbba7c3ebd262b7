//! Tauri's build step: the app's configuration, capabilities and icons
//! compiled into the desktop binary.

fn main() {
    tauri_build::build()
}
