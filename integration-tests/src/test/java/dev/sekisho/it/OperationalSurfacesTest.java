package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.launcher.ServicePorts;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.ServerProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * What a caller who reaches a service's API port can see: the APIs, not health, metrics or the OpenAPI document (those
 * are on the management interface, which a deployment keeps to itself), and in prod no gRPC reflection either.
 */
class OperationalSurfacesTest {

    @ParameterizedTest
    @EnumSource(SekishoService.class)
    void healthMetricsAndOpenApiAreOnTheManagementPortOnly(SekishoService service) {
        Suite suite = RunningSuite.get();
        for (String path : new String[] {"/q/health/ready", "/q/metrics", "/q/openapi"}) {
            given().baseUri(suite.url(service)).get(path).then()
                    .statusCode(404).contentType("application/problem+json")
                    .body("type", equalTo("https://sekisho.dev/problems/not-found"));
        }
        given().baseUri(suite.managementUrl(service)).get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().baseUri(suite.managementUrl(service)).accept("text/plain").get("/q/metrics").then().statusCode(200)
                .body(containsString("jvm_memory_used_bytes"));
        given().baseUri(suite.managementUrl(service)).accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("info.title", equalTo("Sekisho " + service.module()));
    }

    /** In prod (compose) reflection is off: nobody on the API port gets the list of methods. */
    @Test
    void aProductionServiceAnswersNoReflection() throws Exception {
        Map<String, String> env = new HashMap<>(RunningSuite.get().environment(SekishoService.RATELIMIT));
        env.put("QUARKUS_PROFILE", "prod");
        // a secret of its own: accepted at start (Keycloak refuses it, so the service runs but is not ready)
        env.put("SEKISHO_SERVICE_CLIENT_SECRET", "a-secret-of-its-own-" + System.nanoTime());
        Path log = Files.createTempFile(Path.of("target"), "ratelimit-prod", ".log");
        ServiceLauncher launched = ServiceLauncher.launch(Path.of(System.getProperty("sekisho.root")), SekishoService.RATELIMIT,
                ServicePorts.free(), env, log);
        try {
            awaitLive(launched, log);
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> GrpcReflection.listServices(launched.port()));
            assertEquals(Status.Code.UNIMPLEMENTED, refused.getStatus().getCode(), refused.toString());
            given().baseUri(launched.url()).get("/q/metrics").then().statusCode(404);
            given().baseUri(launched.managementUrl()).accept("text/plain").get("/q/metrics").then().statusCode(200);
        } finally {
            launched.stop();
        }
    }

    private static void awaitLive(ServiceLauncher launched, Path log) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(launched.process().isAlive(), () -> "exited:\n" + ServerProcess.tail(log));
            try {
                HttpResponse<Void> live = client.send(HttpRequest.newBuilder(URI.create(launched.managementUrl() + "/q/health/live"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
                if (live.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Ports.sleep(300);
        }
        throw new AssertionError("not live within 3 minutes; see " + log);
    }
}
