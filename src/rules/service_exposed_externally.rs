use crate::declare_rule;
use crate::doc::views::Service;
use crate::lint::Check;

/// `annotation=value` pairs that keep a cloud load balancer on the private network.
const INTERNAL: &str = "service.beta.kubernetes.io/aws-load-balancer-internal=true \
    service.beta.kubernetes.io/aws-load-balancer-scheme=internal \
    networking.gke.io/load-balancer-type=internal \
    cloud.google.com/load-balancer-type=internal \
    service.beta.kubernetes.io/azure-load-balancer-internal=true \
    service.beta.kubernetes.io/oci-load-balancer-internal=true \
    service.beta.kubernetes.io/openstack-internal-load-balancer=true \
    service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type=private";

declare_rule! {
    /// ## What it does
    /// Flags Services reachable from outside the cluster: type `NodePort`, type
    /// `LoadBalancer` (unless an internal-load-balancer annotation or
    /// `loadBalancerSourceRanges` without `0.0.0.0/0` restricts it), and Services with
    /// `externalIPs`.
    ///
    /// ## Why is this bad?
    /// It is fine when intended, but an exposed Service skips whatever the Ingress layer
    /// enforces (TLS, authentication, rate limits, WAF), and a NodePort opens the port on
    /// every node. Exposure should be a decision, not a default copied from an example.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: admin}
    ///   ports:
    ///   - port: 443
    ///     targetPort: 8443
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    /// spec:
    ///   selector: {app: admin}
    ///   ports:
    ///   - port: 443
    ///     targetPort: 8443
    /// ```
    ///
    /// ## Fix
    /// Use `ClusterIP` behind an Ingress or Gateway, make the load balancer internal, or
    /// restrict it with `loadBalancerSourceRanges`; suppress the finding where exposure is
    /// the point.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF400",
        name: "service-exposed-externally",
        category: Networking,
        severity: Info,
        kinds: &["Service"],
        check: check,
        kube_linter: "exposed-services",
    }
}

fn check(c: &mut Check) {
    let Some(svc) = Service::of(c.doc) else {
        return;
    };
    let annotations = svc.labels(&["metadata", "annotations"]);
    let internal = INTERNAL
        .split_whitespace()
        .filter_map(|p| p.split_once('='))
        .any(|(key, value)| {
            annotations
                .get(key)
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        });
    let ranges = svc.load_balancer_source_ranges();
    let open = |r: &&str| matches!(r.trim(), "0.0.0.0/0" | "::/0");
    let restricted = !ranges.is_empty() && !ranges.iter().any(open);
    let (message, help) = match svc.service_type() {
        Some("NodePort") => (
            "Service type NodePort opens its ports on every node",
            "use ClusterIP behind an Ingress or Gateway, or suppress if exposure is intended",
        ),
        Some("LoadBalancer") if !internal && !restricted => (
            "Service type LoadBalancer is reachable from outside the cluster",
            "make it internal or restrict loadBalancerSourceRanges, or suppress if intended",
        ),
        _ => ("", ""),
    };
    if !message.is_empty() {
        c.report("/spec/type", message).with_help(help);
    }
    if !svc.external_ips().is_empty() {
        c.report(
            "/spec/externalIPs",
            "the Service accepts traffic on externalIPs",
        )
        .with_help(
            "use a LoadBalancer or an Ingress; externalIPs can intercept traffic (CVE-2020-8554)",
        );
    }
}
