package dev.sekisho.ratelimit;

import static dev.sekisho.ratelimit.Grpc.descriptor;
import static dev.sekisho.ratelimit.Grpc.request;
import static dev.sekisho.ratelimit.Grpc.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.testing.resources.RedisTestResource;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With the service in shadow mode, limits are decided and counted but nothing is denied: a dry run for new policies. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@TestProfile(GlobalShadowModeTest.Shadow.class)
class GlobalShadowModeTest {

    public static class Shadow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sekisho.ratelimit.shadow-mode", "true");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void overLimitRequestsPassButAreCountedAsShadowLimited() {
        var channel = Grpc.channel(url);
        try {
            var envoy = RateLimitServiceGrpc.newBlockingStub(channel);
            RateLimitRequest request = request("test", descriptor("fixed", unique()));
            for (int i = 0; i < 5; i++) {
                RateLimitResponse response = envoy.shouldRateLimit(request);
                assertEquals(RateLimitResponse.Code.OK, response.getOverallCode());
            }
            assertEquals(0, envoy.shouldRateLimit(request).getStatuses(0).getLimitRemaining());
        } finally {
            channel.shutdownNow();
        }
        String metrics = given().accept("text/plain").get("/q/metrics").then().extract().asString();
        assertTrue(metrics.contains("sekisho_ratelimit_decisions_total{outcome=\"shadow_limited\",policy=\"fixed-3-per-hour\""),
                "shadow-limited decisions are counted");
    }
}
