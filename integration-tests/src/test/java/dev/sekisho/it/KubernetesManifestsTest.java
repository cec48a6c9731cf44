package dev.sekisho.it;

import static dev.sekisho.it.ServiceConfiguration.ROOT;
import static dev.sekisho.it.ServiceConfiguration.knownVariables;
import static dev.sekisho.it.ServiceConfiguration.properties;
import static dev.sekisho.it.ServiceConfiguration.requiredSecrets;
import static dev.sekisho.it.ServiceConfiguration.variable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.sekisho.launcher.SekishoService;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * deploy/kubernetes against the code: the committed manifests are what quarkus-kubernetes writes at build time (each
 * service's target/kubernetes/kubernetes.yml), and, read with fabric8's Kubernetes model, every Deployment probes
 * the service's own health paths on its management port, serves its own API port (and its Service forwards that
 * port), runs non-root, reads only variables its configuration knows, gets every secret it refuses to start without
 * from its Secret (secrets.example.yaml), and mounts what the kustomizations provide.
 */
class KubernetesManifestsTest {

    private static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theCommittedManifestsAreWhatTheBuildWrites() throws IOException {
        for (SekishoService service : SekishoService.values()) {
            Path generated = ROOT.resolve(service.module()).resolve("target/kubernetes/kubernetes.yml");
            assertTrue(Files.exists(generated), generated + " (built by quarkus-kubernetes)");
            // the same resources; the build writes labels and ports in no fixed order, so they are compared sorted
            assertEquals(canonical(generated), canonical(KUBERNETES.resolve(service.module() + ".yml")),
                    "deploy/kubernetes/" + service.module() + ".yml differs from what the build writes: copy " + generated);
        }
    }

    @Test
    void everyDeploymentProbesServesAndIsConfiguredAsTheCodeSays() throws IOException {
        Map<String, Secret> secrets = resources(KUBERNETES.resolve("secrets.example.yaml")).stream().map(Secret.class::cast)
                .collect(Collectors.toMap(s -> s.getMetadata().getName(), s -> s));
        ConfigMap shared = (ConfigMap) resources(KUBERNETES.resolve("sekisho-config.yaml")).get(0);
        Set<String> mountable = new TreeSet<>(List.of("sekisho", "sekisho-tls"));
        JsonNode generators = YAML.readTree(ROOT.resolve("deploy/kustomization.yaml").toFile()).path("configMapGenerator");
        generators.forEach(g -> {
            mountable.add(g.path("name").asText());
            g.path("files").forEach(f -> assertTrue(Files.exists(ROOT.resolve("deploy").resolve(f.asText())), "deploy/" + f.asText()));
        });
        for (SekishoService service : SekishoService.values()) {
            List<HasMetadata> manifests = resources(KUBERNETES.resolve(service.module() + ".yml"));
            Deployment deployment = only(manifests, Deployment.class);
            Service api = only(manifests, Service.class);
            Properties config = properties(ROOT.resolve(service.module()).resolve("src/main/resources/application.properties"));
            int port = Integer.parseInt(config.getProperty("quarkus.http.port"));
            int management = Integer.parseInt(properties(ROOT.resolve("libs/common/src/main/resources/META-INF/microprofile-config.properties"))
                    .getProperty("quarkus.management.port"));

            Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertEquals("docker.io/sekisho/" + service.module() + ":0.1.0-native", container.getImage(), service.module());
            assertEquals(Set.of(port, management), container.getPorts().stream().map(p -> p.getContainerPort()).collect(Collectors.toSet()),
                    service.module() + " exposes its API and management ports");
            assertEquals(port, api.getSpec().getPorts().get(0).getPort(), service.module() + "'s Service on the port its peers dial");
            assertEquals(port, api.getSpec().getPorts().get(0).getTargetPort().getIntVal(), service.module());
            probe(service, container.getReadinessProbe(), "/q/health/ready", management);
            probe(service, container.getLivenessProbe(), "/q/health/live", management);
            probe(service, container.getStartupProbe(), "/q/health/started", management);
            assertTrue(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot(), service.module() + " runs non-root");
            assertTrue(container.getResources().getLimits().containsKey("memory"), service.module() + " has a memory limit");

            // every variable it is given names a key of its configuration (KUBERNETES_NAMESPACE: quarkus-kubernetes' own)
            Set<String> known = knownVariables(service);
            known.add("KUBERNETES_NAMESPACE");
            Set<String> given = new TreeSet<>(container.getEnv().stream().map(EnvVar::getName).toList());
            Set<String> sharedUnknown = new TreeSet<>(shared.getData().keySet());
            sharedUnknown.removeAll(ServiceConfiguration.knownToAnyService());
            assertEquals(Set.of(), sharedUnknown, "sekisho-config.yaml: variables that name no key of any service's configuration");
            List<String> secretNames = new ArrayList<>();
            for (EnvFromSource from : container.getEnvFrom()) {
                if (from.getSecretRef() != null) {
                    secretNames.add(from.getSecretRef().getName());
                } else {
                    assertEquals("sekisho", from.getConfigMapRef().getName(), service.module());
                }
            }
            assertEquals(List.of(service.module()), secretNames, service.module() + " reads its own Secret");
            Secret secret = secrets.get(service.module());
            assertTrue(secret != null, "secrets.example.yaml has no Secret " + service.module());
            given.addAll(secret.getStringData().keySet());
            Set<String> unknown = new TreeSet<>(given);
            unknown.removeAll(known);
            assertEquals(Set.of(), unknown, service.module() + ": variables that name no key of its configuration");
            for (String required : requiredSecrets(service)) {
                assertTrue(secret.getStringData().containsKey(variable(required)),
                        service.module() + "'s Secret lacks " + variable(required) + " (" + required + ")");
            }
            for (Volume volume : deployment.getSpec().getTemplate().getSpec().getVolumes()) {
                if (volume.getConfigMap() != null) {
                    assertTrue(mountable.contains(volume.getConfigMap().getName()), service.module() + " mounts the ConfigMap "
                            + volume.getConfigMap().getName() + ", which no kustomization makes");
                } else {
                    assertTrue(secrets.containsKey(volume.getSecret().getSecretName()), service.module() + " mounts the Secret "
                            + volume.getSecret().getSecretName() + ", which secrets.example.yaml does not name");
                }
            }
        }
    }

    @Test
    void theKustomizationNamesEveryManifestAndTheAutoscalersTargetDeployments() throws IOException {
        JsonNode kustomization = YAML.readTree(KUBERNETES.resolve("kustomization.yaml").toFile());
        List<String> resources = new ArrayList<>();
        kustomization.path("resources").forEach(r -> resources.add(r.asText()));
        for (SekishoService service : SekishoService.values()) {
            assertTrue(resources.contains(service.module() + ".yml"), "the kustomization lacks " + service.module());
        }
        resources.forEach(r -> assertTrue(Files.exists(KUBERNETES.resolve(r)), r));
        for (HasMetadata resource : resources(KUBERNETES.resolve("hpa.yaml"))) {
            HorizontalPodAutoscaler hpa = (HorizontalPodAutoscaler) resource;
            String target = hpa.getSpec().getScaleTargetRef().getName();
            Deployment deployment = only(resources(KUBERNETES.resolve(target + ".yml")), Deployment.class);
            assertTrue(hpa.getSpec().getMinReplicas() >= 2 && deployment.getSpec().getReplicas() == hpa.getSpec().getMinReplicas(),
                    target + ": the autoscaler starts where the Deployment does, at two or more");
        }
    }

    /** Every YAML document of the file, keys sorted, and every list sorted by its items' text. */
    private static List<String> canonical(Path file) throws IOException {
        List<String> documents = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            var values = YAML.readValues(parser, JsonNode.class);
            while (values.hasNext()) {
                JsonNode document = values.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(sorted(document).toString());
                }
            }
        }
        documents.sort(null);
        return documents;
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            var out = YAML.createObjectNode();
            Set<String> names = new TreeSet<>();
            node.fieldNames().forEachRemaining(names::add);
            names.forEach(name -> out.set(name, sorted(node.get(name))));
            return out;
        }
        if (node.isArray()) {
            List<JsonNode> items = new ArrayList<>();
            node.forEach(item -> items.add(sorted(item)));
            items.sort(java.util.Comparator.comparing(JsonNode::toString));
            var out = YAML.createArrayNode();
            items.forEach(out::add);
            return out;
        }
        return node;
    }

    private static void probe(SekishoService service, Probe probe, String path, int port) {
        assertEquals(path, probe.getHttpGet().getPath(), service.module());
        assertEquals(port, probe.getHttpGet().getPort().getIntVal(), service.module() + " probes its management port");
    }

    private static <T> T only(List<HasMetadata> resources, Class<T> kind) {
        List<T> found = resources.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertEquals(1, found.size(), kind.getSimpleName());
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    private static List<HasMetadata> resources(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Object read = SERIALIZATION.unmarshal(in);
            return read instanceof List<?> list ? (List<HasMetadata>) list : List.of((HasMetadata) read);
        }
    }
}
