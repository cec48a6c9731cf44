package dev.sekisho.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import org.junit.jupiter.api.Test;

/**
 * What every Sekisho service promises its operators, whatever it does: health that reflects its real
 * dependencies, Prometheus metrics, an OpenAPI document and RFC 9457 errors. Each service's test suite extends
 * this class as a {@code @QuarkusTest} with its real dependencies started.
 */
public abstract class ServiceContractTest {

    @Test
    void isLive() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void isReadyBecauseItsDependenciesAnswer() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void exposesPrometheusMetrics() {
        given().accept("text/plain").when().get("/q/metrics").then().statusCode(200)
                .contentType(containsString("text/plain"))
                .body(containsString("jvm_memory_used_bytes"));
    }

    @Test
    void publishesOpenApi() {
        given().accept("application/json").when().get("/q/openapi").then().statusCode(200)
                .body("openapi", startsWith("3."));
    }

    @Test
    void unknownPathsAnswerWithAProblem() {
        given().accept("application/json").when().get("/v1/no-such-thing").then().statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("https://sekisho.dev/problems/not-found"))
                .body("status", equalTo(404))
                .body("title", not(equalTo(null)));
    }
}
