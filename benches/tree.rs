//! Synthetic flat manifest trees for benchmarks: a mix of Deployments, Services and
//! ConfigMaps shaped like real ones (labels, probes, resources, block scalars).

pub fn resource(i: usize) -> String {
    match i % 3 {
        0 => format!(
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  labels:
    app.kubernetes.io/name: svc-{i}
    app.kubernetes.io/part-of: bench
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: svc-{i}
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/svc-{i}:1.{i}.0
        args: ["--port=8080", "--log-level=info"]
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef: {{name: db, key: url}}
        - name: WORKERS
          value: "4"
        resources:
          requests: {{cpu: 250m, memory: 256Mi}}
          limits: {{cpu: "1", memory: 512Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
          periodSeconds: 10
"#
        ),
        1 => format!(
            r#"apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  labels:
    app.kubernetes.io/name: svc-{i}
spec:
  selector:
    app.kubernetes.io/name: svc-{i}
  ports:
  - name: http
    port: 80
    targetPort: http
"#
        ),
        _ => format!(
            r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
data:
  LOG_LEVEL: info
  app.yaml: |
    server:
      port: 8080
      timeout: 30s
    feature-flags: [a, b, c]
"#
        ),
    }
}

pub fn file_name(i: usize) -> String {
    format!("r{i:05}.yaml")
}

/// One file per resource plus a kustomization listing them all.
pub fn write_tree(dir: &std::path::Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut kustomization = String::from("resources:\n");
    for i in 0..n {
        std::fs::write(dir.join(file_name(i)), resource(i))?;
        kustomization.push_str(&format!("- {}\n", file_name(i)));
    }
    std::fs::write(dir.join("kustomization.yaml"), kustomization)
}

/// A base of `services` services (Deployment, Service, ConfigMap each) and an overlay that
/// sets namespace, prefix, labels and images and patches every Deployment: the shape of
/// the build benchmark.
pub fn write_kustomize_tree(dir: &std::path::Path, services: usize) -> std::io::Result<()> {
    let base = dir.join("base");
    let overlay = dir.join("overlay");
    std::fs::create_dir_all(&base)?;
    std::fs::create_dir_all(&overlay)?;
    let mut k = String::from("resources:\n");
    let mut patches = String::from("patches:\n");
    for i in 0..services {
        let name = format!("svc-{i}");
        let text = [resource(i * 3), resource(i * 3 + 1), resource(i * 3 + 2)]
            .join("---\n")
            .replace(&format!("svc-{}", i * 3 + 1), &name)
            .replace(&format!("svc-{}", i * 3), &name)
            .replace(&format!("config-{}", i * 3 + 2), &format!("{name}-config"));
        std::fs::write(base.join(format!("{name}.yaml")), text)?;
        k.push_str(&format!("- {name}.yaml\n"));
        patches.push_str(&format!(
            "- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: {name}\n    spec:\n      template:\n        spec:\n          containers:\n          - name: app\n            resources:\n              limits:\n                memory: 1Gi\n"
        ));
    }
    std::fs::write(base.join("kustomization.yaml"), k)?;
    let overlay_k = format!(
        "resources:\n- ../base\nnamespace: prod\nnamePrefix: prod-\nlabels:\n- pairs:\n    env: prod\n  includeSelectors: true\nimages:\n- name: ghcr.io/acme/svc-0\n  newTag: 2.0.0\n{patches}"
    );
    std::fs::write(overlay.join("kustomization.yaml"), overlay_k)
}

/// The example tree's base: 28 resources, every one of the shapes the example policy
/// changes (the API with its HPA and init waits, PostgreSQL, Redis and its claim).
pub const EXAMPLE_BASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/example/deployments/kubernetes/base"
);
pub const EXAMPLE_RESOURCES: usize = 28;

/// Copies of the example base in namespaces `acme-0`, `acme-1`, … until there are at least
/// `n` resources: `(path under the tree, text)`.
pub fn example_copies(n: usize) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(EXAMPLE_BASE)? {
        let path = e?.path();
        if path.extension().is_some_and(|x| x == "yaml") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            files.push((name.unwrap_or_default(), std::fs::read_to_string(&path)?));
        }
    }
    files.sort();
    let mut out = Vec::new();
    for k in 0..n.div_ceil(EXAMPLE_RESOURCES) {
        for (name, text) in &files {
            let text = text
                .replace("namespace: acme\n", &format!("namespace: acme-{k}\n"))
                .replace("\n  name: acme\n", &format!("\n  name: acme-{k}\n"));
            out.push((format!("acme-{k}/{name}"), text));
        }
    }
    Ok(out)
}

/// The example base copied until there are `n` resources, without a kustomization: the
/// shape of the optimize benchmark.
pub fn write_example_copies(dir: &std::path::Path, n: usize) -> std::io::Result<()> {
    for (path, text) in example_copies(n)? {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
