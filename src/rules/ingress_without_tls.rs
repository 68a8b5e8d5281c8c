use crate::declare_rule;
use crate::doc::views::Ingress;
use crate::lint::Check;

/// Annotations by which cloud load balancers terminate TLS without `spec.tls`.
const CLOUD_TLS: &[&str] = &[
    "alb.ingress.kubernetes.io/certificate-arn",
    "networking.gke.io/managed-certificates",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
];

declare_rule! {
    /// ## What it does
    /// Flags Ingresses without a `tls` section, and rule hosts that no `spec.tls[].hosts`
    /// entry covers (exactly or through a `*.` wildcard). Ingresses whose certificate comes
    /// from a cloud load balancer annotation (`alb.ingress.kubernetes.io/certificate-arn`,
    /// `networking.gke.io/managed-certificates`, `ingress.gcp.kubernetes.io/pre-shared-cert`)
    /// are not reported.
    ///
    /// ## Why is this bad?
    /// Traffic for those hosts is served over plain HTTP: credentials, cookies and data
    /// cross the network readable and modifiable by anyone on the path.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
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
    ///   tls:
    ///   - hosts: [shop.example.com]
    ///     secretName: shop-tls
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend: {service: {name: web, port: {number: 80}}}
    /// ```
    ///
    /// ## Fix
    /// Add a `tls` entry listing the host and a certificate Secret (cert-manager can issue
    /// it), and redirect HTTP to HTTPS.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF401",
        name: "ingress-without-tls",
        category: Networking,
        severity: Warning,
        kinds: &["Ingress"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(ingress) = Ingress::of(c.doc) else {
        return;
    };
    let annotations = ingress.keys(&["metadata", "annotations"]);
    if CLOUD_TLS.iter().any(|a| annotations.contains(a)) {
        return;
    }
    let tls = ingress.tls();
    let rules = ingress.rules();
    if tls.is_empty() {
        let hosts: Vec<String> = rules
            .iter()
            .filter_map(|r| r.host())
            .map(|h| format!("`{h}`"))
            .collect();
        let message = if hosts.is_empty() {
            "the Ingress has no tls section: it serves plain HTTP".to_string()
        } else {
            format!(
                "the Ingress has no tls section: {} served over plain HTTP",
                hosts.join(", ")
            )
        };
        c.report(ingress.pointer_to(&["spec", "tls"]), message)
            .with_help("add a spec.tls entry with the hosts and a certificate Secret");
        return;
    }
    let covered: Vec<String> = tls
        .iter()
        .flat_map(|t| t.hosts())
        .map(str::to_ascii_lowercase)
        .collect();
    for rule in rules {
        let Some(host) = rule.host().filter(|h| !h.is_empty()) else {
            continue;
        };
        if !covered
            .iter()
            .any(|pattern| covers(pattern, &host.to_ascii_lowercase()))
        {
            c.report(
                rule.pointer_to(&["host"]),
                format!("host `{host}` is not covered by spec.tls and is served over plain HTTP"),
            )
            .with_help("list the host in a spec.tls entry with a certificate Secret");
        }
    }
}

fn covers(pattern: &str, host: &str) -> bool {
    pattern == host
        || pattern.strip_prefix("*.").is_some_and(|suffix| {
            host.split_once('.')
                .is_some_and(|(label, rest)| rest == suffix && !label.is_empty() && label != "*")
        })
}
