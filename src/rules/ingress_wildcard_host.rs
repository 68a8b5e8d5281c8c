use crate::declare_rule;
use crate::doc::views::Ingress;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Ingress rules that match every host (no `host`, an empty one or `*`) and
    /// rules with a `*.` wildcard host.
    ///
    /// ## Why is this bad?
    /// On an ingress class shared by several teams, a rule without a host catches requests
    /// for any name pointed at the controller, including names that belong to other
    /// applications, and a wildcard claims every subdomain, present and future. Either can
    /// shadow or hijack someone else's traffic.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend: {service: {name: web, port: {number: 80}}}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - host: web.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend: {service: {name: web, port: {number: 80}}}
    /// ```
    ///
    /// ## Fix
    /// Name the hosts the application serves.
    ///
    /// ## Options
    /// - `allowSubdomainWildcards` (default `false`): `true` to report only rules that
    ///   match every host, not `*.example.com` wildcards.
    pub static RULE = {
        code: "KF405",
        name: "ingress-wildcard-host",
        category: Networking,
        severity: Info,
        kinds: &["Ingress"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(ingress) = Ingress::of(c.doc) else {
        return;
    };
    let allow_subdomains = c.option("allowSubdomainWildcards") == Some("true");
    for rule in ingress.rules() {
        let pointer = rule.pointer_to(&["host"]);
        match rule.host().map(str::trim) {
            None | Some("") => {
                c.report(pointer, "the rule has no host and matches every host")
                    .with_help("set the host the application serves");
            }
            Some("*") => {
                c.report(pointer, "host `*` matches every host")
                    .with_help("set the host the application serves");
            }
            Some(host) if host.starts_with("*.") && !allow_subdomains => {
                c.report(
                    pointer,
                    format!("wildcard host `{host}` matches every subdomain"),
                )
                .with_help("list the hosts the application serves");
            }
            _ => {}
        }
    }
}
