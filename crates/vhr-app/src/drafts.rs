//! Unsaved typing kept across a crash, a closed window and the idle lock:
//! each form's draft, per user, in the encrypted store (never the webview's
//! own storage, which is a plain file on the laptop).

use vhr_domain::problem::Problem;

use crate::{Clinic, Error, Result};

/// The forms that keep drafts: a resident's registration or edit
/// (`resident:new`, `resident:new:<household>`, `resident:<id>`) and a
/// service record (`service:<resident>:<form>`, `service:<record>`).
const KINDS: [&str; 2] = ["resident:", "service:"];
const MAX_KEY: usize = 200;
/// Far more than any national form holds when filled in (a health
/// examination is about 10 KB of JSON); beyond it something is wrong.
const MAX_DRAFT: usize = 512 * 1024;

fn check_key(key: &str) -> Result<()> {
    if key.len() > MAX_KEY || !KINDS.iter().any(|k| key.starts_with(k)) || key.chars().any(char::is_control) {
        return Err(Error::Invalid(vec![Problem::error("key", "draft.key", "草稿的名称不对", "Not a draft's name")]));
    }
    Ok(())
}

impl Clinic {
    /// The signed-in user's draft of one form, as they left it.
    pub fn draft(&self, key: &str) -> Result<Option<serde_json::Value>> {
        check_key(key)?;
        let Some(text) = self.store.draft(self.actor()?, key)? else { return Ok(None) };
        // A draft that no longer reads (written by a broken build, say) is
        // dropped rather than blocking the form.
        match serde_json::from_str(&text) {
            Ok(value) => Ok(Some(value)),
            Err(_) => {
                self.store.drop_draft(self.actor()?, key)?;
                Ok(None)
            }
        }
    }

    /// Keeps what the form holds now, replacing the last draft of it.
    pub fn keep_draft(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        check_key(key)?;
        let text = value.to_string();
        if text.len() > MAX_DRAFT {
            return Err(Error::Invalid(vec![Problem::error(
                "draft",
                "draft.too_large",
                "这份草稿太大，无法保存（超过 512 KB）",
                "This draft is too large to keep (over 512 KB)",
            )]));
        }
        Ok(self.store.put_draft(self.actor()?, key, &text, self.now())?)
    }

    /// The form was saved, cancelled or its draft discarded.
    pub fn forget_draft(&self, key: &str) -> Result<()> {
        check_key(key)?;
        Ok(self.store.drop_draft(self.actor()?, key)?)
    }
}
