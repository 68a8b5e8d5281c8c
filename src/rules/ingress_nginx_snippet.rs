use crate::declare_rule;
use crate::doc::views::Ingress;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Ingresses with ingress-nginx snippet annotations
    /// (`nginx.ingress.kubernetes.io/configuration-snippet`, `server-snippet`,
    /// `auth-snippet` and any other `nginx.ingress.kubernetes.io/...-snippet`). Findings do
    /// not repeat the snippet.
    ///
    /// ## Why is this bad?
    /// A snippet is pasted verbatim into the controller's nginx configuration. Whoever can
    /// write an Ingress can then read files the controller can, including its service
    /// account token, which sees every Secret in the cluster (CVE-2021-25742); recent
    /// controllers disable snippets by default for that reason, so the Ingress may also be
    /// rejected.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/configuration-snippet: |
    ///       more_set_headers "X-Frame-Options: DENY";
    /// spec:
    ///   ingressClassName: nginx
    ///   defaultBackend: {service: {name: web, port: {number: 80}}}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/ssl-redirect: "true"
    /// spec:
    ///   ingressClassName: nginx
    ///   defaultBackend: {service: {name: web, port: {number: 80}}}
    /// ```
    ///
    /// ## Fix
    /// Use the dedicated annotations (`custom-headers`, `auth-url`, `rewrite-target`, ...)
    /// or the controller's ConfigMap, which only cluster administrators can change.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF404",
        name: "ingress-nginx-snippet",
        category: Networking,
        severity: Warning,
        kinds: &["Ingress"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(annotations) = Ingress::of(c.doc).and_then(|i| i.at(&["metadata", "annotations"]))
    else {
        return;
    };
    for (key, field) in annotations.entries() {
        let snippet = key.strip_prefix("nginx.ingress.kubernetes.io/");
        if snippet.is_some_and(|k| k.ends_with("-snippet")) {
            c.report(
                field.pointer(),
                format!("annotation `{key}` injects raw nginx configuration"),
            )
            .with_help(
                "use dedicated annotations or the controller's ConfigMap instead of snippets",
            );
        }
    }
}
