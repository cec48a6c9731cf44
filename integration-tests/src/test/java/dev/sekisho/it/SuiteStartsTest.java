package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.launcher.ServicePorts;
import dev.sekisho.launcher.Suite;

/** The packaged services, started as processes (the local profile) against real servers, as ./sekisho runs them. */
class SuiteStartsTest {

    private static Suite suite;

    @BeforeAll
    static void startTheSuite() {
        suite = RunningSuite.get();
    }

    @ParameterizedTest
    @EnumSource(SekishoService.class)
    void everyServiceIsReadyWithItsRealDependencies(SekishoService service) {
        given().baseUri(suite.managementUrl(service)).when().get("/q/health/ready").then()
                .statusCode(200).body("status", equalTo("UP"));
    }

    /** Ready means its own token was obtained and verified: the first request a caller sends is not refused for that. */
    @ParameterizedTest
    @EnumSource(SekishoService.class)
    void everyServiceIsReadyOnlyWithItsTrustInPlace(SekishoService service) {
        given().baseUri(suite.managementUrl(service)).when().get("/q/health/ready").then()
                .statusCode(200).body("checks.find { it.name == 'tokens' }.status", equalTo("UP"));
    }

    /** A new auth-service instance that says it is ready answers the first login attempt definitely: 401, never 503. */
    @Test
    void aFreshAuthServiceThatIsReadyAnswersItsFirstLoginDefinitely() {
        ServiceLauncher freshInstance = suite.startInstance(SekishoService.AUTH, ServicePorts.free(), java.time.Duration.ofSeconds(120));
        String fresh = freshInstance.url();
        given().baseUri(freshInstance.managementUrl()).when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'login path' }.status", equalTo("UP"));
        given().baseUri(fresh).contentType("application/json").header("X-Forwarded-For", "198.51.100." + (1 + (int) (Math.random() * 250)))
                .body(java.util.Map.of("username", "nobody-" + java.util.UUID.randomUUID(), "password", "Not-A-Password-1",
                        "totp", "000000"))
                .post("/v1/auth/token").then().statusCode(401);
    }

    @ParameterizedTest
    @EnumSource(SekishoService.class)
    void everyServiceAnswersUnknownPathsWithAProblemInProd(SekishoService service) {
        given().baseUri(suite.url(service)).when().get("/v1/definitely-not-here").then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("https://sekisho.dev/problems/not-found"));
    }

    @Test
    void grpcReflectionOnTheRatelimitPortListsEnvoysRateLimitService() throws Exception {
        List<String> services = GrpcReflection.listServices(suite.port(SekishoService.RATELIMIT));
        assertTrue(services.contains("envoy.service.ratelimit.v3.RateLimitService"), services.toString());
    }
}
