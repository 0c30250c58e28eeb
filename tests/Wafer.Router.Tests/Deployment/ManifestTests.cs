using k8s;
using k8s.Models;
using Wafer.Router.Configuration;
using Wafer.Tests;

namespace Wafer.Router.Tests.Deployment;

/// <summary>deploy/kubernetes parsed into the official typed Kubernetes objects (KubernetesClient's YAML loader), and the
/// things that must agree checked: selectors and labels, ports and probes, the drain time and the grace period, the
/// autoscaler's target and metric, the router's config; and the Dockerfile's stages. No cluster and no kubectl needed.</summary>
public class ManifestTests
{
    private static string Kubernetes => Path.Combine(Repository.Root, "deploy", "kubernetes");

    /// <summary>Every object of every manifest under <paramref name="folder"/> (kustomization files excepted).</summary>
    private static List<IKubernetesObject> Load(string folder) =>
        [.. Directory.GetFiles(Path.Combine(Kubernetes, folder), "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f)).Cast<IKubernetesObject>())];

    private static T One<T>(List<IKubernetesObject> objects, string name) where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(objects.OfType<T>(), o => o.Metadata.Name == name);

    private static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    [Fact]
    public void Base_EveryManifestParses_IntoTypedObjects()
    {
        var objects = Load("base");
        Assert.Equal(["ConfigMap", "ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "Service", "ServiceAccount"],
            objects.Select(o => o.Kind).Order());
        Assert.All(objects.OfType<V1Deployment>(), d => Assert.Equal("apps/v1", d.ApiVersion));
    }

    [Fact]
    public void Serve_SelectorsLabelsPortsAndProbesAgree()
    {
        var objects = Load("base");
        var deployment = One<V1Deployment>(objects, "wafer-serve");
        var pod = deployment.Spec.Template;
        Assert.True(Selects(deployment.Spec.Selector.MatchLabels, pod.Metadata.Labels));
        Assert.True(Selects(One<V1Service>(objects, "wafer-serve").Spec.Selector, pod.Metadata.Labels));
        Assert.True(Selects(One<V1PodDisruptionBudget>(objects, "wafer-serve").Spec.Selector.MatchLabels, pod.Metadata.Labels));

        var serve = Assert.Single(pod.Spec.Containers);
        Assert.Equal("serve", serve.Args[0]);
        var port = Assert.Single(serve.Ports);
        Assert.Equal(("http", 8080), (port.Name, port.ContainerPort));
        Assert.Equal("8080", serve.Args[serve.Args.IndexOf("--port") + 1]);
        Assert.Equal("0.0.0.0", serve.Args[serve.Args.IndexOf("--host") + 1]);
        var service = One<V1Service>(objects, "wafer-serve");
        Assert.Equal("None", service.Spec.ClusterIP); // headless: the router sees every replica
        Assert.Equal("http", Assert.Single(service.Spec.Ports).TargetPort.Value);

        // Ready only once the model is loaded (/health is 503 until then); alive while it loads.
        Assert.Equal(("/health", "http"), (serve.ReadinessProbe.HttpGet.Path, serve.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal("/health", serve.StartupProbe.HttpGet.Path);
        Assert.NotNull(serve.LivenessProbe.TcpSocket);
        Assert.True(serve.StartupProbe.PeriodSeconds * serve.StartupProbe.FailureThreshold >= 300, "a model gets at least 5 minutes to load");

        // SIGTERM → the server drains for --drain-timeout; Kubernetes must wait longer before SIGKILL.
        int drain = int.Parse(serve.Args[serve.Args.IndexOf("--drain-timeout") + 1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(pod.Spec.TerminationGracePeriodSeconds > drain, $"grace {pod.Spec.TerminationGracePeriodSeconds} s ≤ drain {drain} s");

        Assert.True(pod.Spec.SecurityContext.RunAsNonRoot);
        Assert.NotNull(serve.Resources.Requests["cpu"]);
        Assert.NotNull(serve.Resources.Limits["memory"]);
        Assert.Equal("true", pod.Metadata.Annotations["prometheus.io/scrape"]);
        Assert.Equal(port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), pod.Metadata.Annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", pod.Metadata.Annotations["prometheus.io/path"]);
    }

    [Fact]
    public void Serve_ModelPulledByTheInitContainer_IntoTheVolumeTheServerReadsOffline()
    {
        var objects = Load("base");
        var pod = One<V1Deployment>(objects, "wafer-serve").Spec.Template.Spec;
        var pull = Assert.Single(pod.InitContainers);
        var serve = pod.Containers[0];
        Assert.Equal("pull", pull.Args[0]);
        string Env(V1Container c, string name) => c.Env.Single(e => e.Name == name).Value;
        Assert.Equal(Env(pull, "HF_HOME"), Env(serve, "HF_HOME"));
        Assert.Equal("1", Env(serve, "HF_HUB_OFFLINE"));
        string volume = Assert.Single(pull.VolumeMounts).Name;
        Assert.Contains(serve.VolumeMounts, m => m.Name == volume);
        Assert.Contains(pod.Volumes, v => v.Name == volume);
        Assert.StartsWith(pull.VolumeMounts[0].MountPath, Env(pull, "HF_HOME"));
        // Both name the same model, from a ConfigMap key that exists.
        var model = One<V1ConfigMap>(objects, "wafer-model");
        foreach (var c in (V1Container[])[pull, serve])
        {
            var from = c.Env.Single(e => e.Name == "WAFER_MODEL").ValueFrom.ConfigMapKeyRef;
            Assert.Equal("wafer-model", from.Name);
            Assert.True(model.Data.ContainsKey(from.Key));
        }
        Assert.NotNull(Wafer.Hub.ModelReference.TryParse(model.Data["model"]));
    }

    [Fact]
    public void Autoscaler_TargetsTheServeDeployment_OnQueueDepth()
    {
        var objects = Load("base");
        var hpa = One<V2HorizontalPodAutoscaler>(objects, "wafer-serve");
        Assert.Equal(("Deployment", "wafer-serve"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        var metric = Assert.Single(hpa.Spec.Metrics);
        Assert.Equal("wafer_requests_waiting", metric.Pods.Metric.Name); // the engine's gauge, as /metrics exports it
        Assert.True(hpa.Spec.MinReplicas >= 1 && hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas);
        Assert.True(One<V1PodDisruptionBudget>(objects, "wafer-serve").Spec.MinAvailable.Value is "1");
    }

    [Fact]
    public void Router_ItsConfigIsValid_DiscoversTheServeService_AndMayWatchItsEndpointSlices()
    {
        var objects = Load("base");
        var deployment = One<V1Deployment>(objects, "wafer-router");
        var router = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal("route", router.Args[0]);
        Assert.True(Selects(One<V1Service>(objects, "wafer-router").Spec.Selector, deployment.Spec.Template.Metadata.Labels));
        var mount = Assert.Single(router.VolumeMounts);
        string configPath = router.Args[router.Args.IndexOf("--config") + 1];
        Assert.StartsWith(mount.MountPath + "/", configPath);
        var configMap = One<V1ConfigMap>(objects, "wafer-router");
        var config = RouterConfigLoader.Parse(configMap.Data[Path.GetFileName(configPath)], "router.json");
        var serveService = One<V1Service>(objects, "wafer-serve");
        var group = Assert.Single(config.Backends);
        Assert.Equal(serveService.Metadata.Name, group.Discover!.Kubernetes!.Service);
        Assert.Contains(serveService.Spec.Ports, p => p.Name == group.Discover.Kubernetes.PortName);
        Assert.Null(group.Discover.Kubernetes.ApiServer); // in-cluster configuration

        // The router's service account may list and watch EndpointSlices, and is bound to that role.
        Assert.Equal("wafer-router", deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal("wafer-router", One<V1ServiceAccount>(objects, "wafer-router").Metadata.Name);
        var role = One<V1Role>(objects, "wafer-router");
        Assert.Contains(role.Rules, r => r.ApiGroups.Contains("discovery.k8s.io") && r.Resources.Contains("endpointslices") && r.Verbs.Contains("list") && r.Verbs.Contains("watch"));
        var binding = One<V1RoleBinding>(objects, "wafer-router");
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal("/health", router.ReadinessProbe.HttpGet.Path);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public void Overlays_PatchOnlyWhatTheBaseHas(string overlay)
    {
        var baseObjects = Load("base");
        string kustomization = File.ReadAllText(Path.Combine(Kubernetes, "overlays", overlay, "kustomization.yaml"));
        Assert.Contains("../../base", kustomization);
        foreach (var patch in Load(Path.Combine("overlays", overlay)))
            Assert.Contains(baseObjects, o => o.Kind == patch.Kind && ((IMetadata<V1ObjectMeta>)o).Metadata.Name == ((IMetadata<V1ObjectMeta>)patch).Metadata.Name);
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(kustomization, @"name: (\S+)").Select(m => m.Groups[1].Value))
            Assert.Contains(baseObjects, o => ((IMetadata<V1ObjectMeta>)o).Metadata.Name == name);
    }

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_RunsOnTheRuntimeAsNonRoot()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "Dockerfile")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1]);
        string publish = Assert.Single(lines, l => l.Contains("dotnet publish", StringComparison.Ordinal));
        string project = publish.Split(' ').Single(p => p.EndsWith(".csproj", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Repository.Root, project)), $"{project} does not exist");
        Assert.Contains("COPY --from=build /app .", lines);
        int user = lines.FindIndex(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.True(user > lines.IndexOf(froms[1]), "USER is set in the runtime stage");
        Assert.NotEqual("USER root", lines[user]);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/wafer.dll\"]", lines);
        Assert.Equal("app", lines[user]["USER ".Length..]);
        // The pods' securityContext runs as the uid the runtime image gives its app user.
        Assert.Equal(1654, One<V1Deployment>(Load("base"), "wafer-serve").Spec.Template.Spec.SecurityContext.RunAsUser);
    }
}
