//! pin-images: container images set to the tag or digest the policy's `images` rules give
//! (first matching rule per container). A digest pins the image whatever the tag says, so a
//! rule giving only a tag drops an existing digest rather than leave a misleading pair.

use super::{ChangeLog, Pass, container_subject, pod_containers};
use crate::doc::views::ImageRef;
use crate::doc::{Document, Node};
use crate::policy::{ImageRule, Policy};

pub struct PinImages;

impl Pass for PinImages {
    fn name(&self) -> &'static str {
        "pin-images"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        if policy.images.is_empty() {
            return;
        }
        let mut log = log.pass(self.name());
        for doc in docs.iter_mut() {
            let mut edits = Vec::new();
            for c in pod_containers(doc) {
                let subject = container_subject(doc, &c);
                let Some(rule) = policy.images.iter().find(|r| r.when.matches(&subject)) else {
                    continue;
                };
                let Some(image) = c.image() else { continue };
                match pinned(image, rule) {
                    Some(new) if new != image => {
                        let why = format!("images rule at {} {}", rule.at, rule.when.describe());
                        edits.push((c.pointer_to(&["image"]), new, why));
                    }
                    Some(_) => {}
                    None => log.note(format!(
                        "{} container {}: `{image}` is not an image reference; left alone",
                        super::display(&doc.id()),
                        c.name().unwrap_or("?")
                    )),
                }
            }
            for (at, image, why) in edits {
                log.set(doc, &at, Node::string(image), &why);
            }
        }
    }
}

fn pinned(image: &str, rule: &ImageRule) -> Option<String> {
    let r = ImageRef::parse(image)?;
    let mut out = match r.registry {
        Some(reg) => format!("{reg}/{}", r.repository),
        None => r.repository.to_string(),
    };
    let tag = rule
        .tag
        .as_deref()
        .or(if rule.digest.is_some() { r.tag } else { None });
    if let Some(t) = tag {
        out = format!("{out}:{t}");
    }
    if let Some(d) = &rule.digest {
        out = format!("{out}@{d}");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_replace_and_digests_pin() {
        let rule = |tag: Option<&str>, digest: Option<&str>| ImageRule {
            tag: tag.map(Into::into),
            digest: digest.map(Into::into),
            ..ImageRule::default()
        };
        assert_eq!(
            pinned("registry:5000/team/app:1.0", &rule(Some("2.7.0"), None)).unwrap(),
            "registry:5000/team/app:2.7.0"
        );
        assert_eq!(
            pinned("app@sha256:aa", &rule(Some("2.7.0"), None)).unwrap(),
            "app:2.7.0"
        );
        assert_eq!(
            pinned("app:1.0", &rule(None, Some("sha256:bb"))).unwrap(),
            "app:1.0@sha256:bb"
        );
    }
}
