package dev.sekisho.ratelimit;

import static dev.sekisho.ratelimit.Grpc.descriptor;
import static dev.sekisho.ratelimit.Grpc.request;
import static dev.sekisho.ratelimit.Grpc.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.UInt64Value;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.envoyproxy.envoy.type.v3.RateLimitUnit;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;

/** Envoy's ShouldRateLimit, called the way Envoy calls it, against the policies in src/test/resources/policies. */
abstract class EnvoyApiContract {

    @TestHTTPResource("/")
    URL url;

    ManagedChannel channel;
    RateLimitServiceGrpc.RateLimitServiceBlockingStub envoy;

    @BeforeEach
    void connect() {
        channel = Grpc.channel(url);
        envoy = RateLimitServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void unknownDomainsAndUnmatchedDescriptorsAreOk() {
        RateLimitResponse response = envoy.shouldRateLimit(request("no-such-domain", descriptor("a", "b"), descriptor("c", "d")));
        assertEquals(Code.OK, response.getOverallCode());
        assertEquals(2, response.getStatusesCount());
        assertFalse(response.getStatuses(0).hasCurrentLimit());

        response = envoy.shouldRateLimit(request("test", descriptor("not_configured", "x")));
        assertEquals(Code.OK, response.getOverallCode());
    }

    @Test
    void aFixedWindowAdmitsItsLimitThenSaysOverLimit() {
        RateLimitRequest request = request("test", descriptor("fixed", unique()));
        List<RateLimitResponse> responses = Grpc.times(4, () -> envoy.shouldRateLimit(request));
        assertEquals(List.of(Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT),
                responses.stream().map(RateLimitResponse::getOverallCode).toList());
        assertEquals(List.of(2, 1, 0, 0), responses.stream().map(r -> r.getStatuses(0).getLimitRemaining()).toList());

        RateLimitResponse.DescriptorStatus last = responses.get(3).getStatuses(0);
        assertEquals(Code.OVER_LIMIT, last.getCode());
        assertEquals(3, last.getCurrentLimit().getRequestsPerUnit());
        assertEquals(RateLimitResponse.RateLimit.Unit.HOUR, last.getCurrentLimit().getUnit());
        assertEquals("fixed-3-per-hour", last.getCurrentLimit().getName());
        long reset = last.getDurationUntilReset().getSeconds();
        assertTrue(reset > 0 && reset <= 3600, "reset " + reset);

        Map<String, String> headers = responses.get(3).getResponseHeadersToAddList().stream()
                .collect(Collectors.toMap(HeaderValue::getKey, HeaderValue::getValue));
        assertEquals("3, 3;w=3600", headers.get("RateLimit-Limit"));
        assertEquals("0", headers.get("RateLimit-Remaining"));
        assertTrue(Long.parseLong(headers.get("RateLimit-Reset")) > 0);
    }

    @Test
    void nestedDescriptorsPickTheMostSpecificRule() {
        String ip = unique();
        RateLimitRequest login = request("test", descriptor("remote_address", ip, "path", "/login"));
        assertEquals(List.of(Code.OK, Code.OK, Code.OVER_LIMIT),
                Grpc.times(3, () -> envoy.shouldRateLimit(login).getOverallCode()));
        RateLimitRequest other = request("test", descriptor("remote_address", ip, "path", "/other"));
        RateLimitResponse response = envoy.shouldRateLimit(other);
        assertEquals(5, response.getStatuses(0).getCurrentLimit().getRequestsPerUnit(), "the any-value rule for path");
    }

    @Test
    void oneOverLimitDescriptorMakesTheRequestOverLimit() {
        String key = unique();
        RateLimitRequest request = request("test", descriptor("fixed", key), descriptor("open", key));
        Grpc.times(3, () -> envoy.shouldRateLimit(request));
        RateLimitResponse response = envoy.shouldRateLimit(request);
        assertEquals(Code.OVER_LIMIT, response.getOverallCode());
        assertEquals(Code.OVER_LIMIT, response.getStatuses(0).getCode());
        assertEquals(Code.OK, response.getStatuses(1).getCode());
    }

    @Test
    void replacesDropsTheReplacedRuleForThatRequest() {
        RateLimitRequest request = request("test", descriptor("generic_key", "general"), descriptor("generic_key", "special"));
        RateLimitResponse response = envoy.shouldRateLimit(request);
        assertFalse(response.getStatuses(0).hasCurrentLimit(), "general is replaced by special");
        assertEquals("special", response.getStatuses(1).getCurrentLimit().getName());
    }

    @Test
    void shadowModeReportsButAllows() {
        RateLimitRequest request = request("test", descriptor("shadow", unique()));
        assertEquals(List.of(Code.OK, Code.OK, Code.OK), Grpc.times(3, () -> envoy.shouldRateLimit(request).getOverallCode()));
        assertEquals(0, envoy.shouldRateLimit(request).getStatuses(0).getLimitRemaining());
    }

    @Test
    void unlimitedIsAlwaysOk() {
        RateLimitRequest request = request("test", descriptor("free", unique()));
        assertTrue(Grpc.times(20, () -> envoy.shouldRateLimit(request).getOverallCode()).stream().allMatch(c -> c == Code.OK));
    }

    @Test
    void hitsAddendCountsThatManyHits() {
        RateLimitRequest request = request("test", descriptor("fixed", unique())).toBuilder().setHitsAddend(3).build();
        assertEquals(Code.OK, envoy.shouldRateLimit(request).getOverallCode());
        assertEquals(Code.OVER_LIMIT, envoy.shouldRateLimit(request).getOverallCode());

        RateLimitDescriptor heavy = descriptor("fixed", unique()).toBuilder().setHitsAddend(UInt64Value.of(4)).build();
        assertEquals(Code.OVER_LIMIT, envoy.shouldRateLimit(request("test", heavy)).getOverallCode(), "4 hits never fit 3");
    }

    @Test
    void aCallersLimitOverrideApplies() {
        RateLimitDescriptor descriptor = descriptor("not_configured", unique()).toBuilder()
                .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(2).setUnit(RateLimitUnit.HOUR))
                .build();
        RateLimitRequest request = request("test", descriptor);
        assertEquals(List.of(Code.OK, Code.OK, Code.OVER_LIMIT), Grpc.times(3, () -> envoy.shouldRateLimit(request).getOverallCode()));
    }

    @Test
    void tenantsHaveTheirOwnRate() {
        // the Envoy API carries no tenant: the rule's own rate (1 per hour) applies
        RateLimitRequest request = request("test", descriptor("tenant_key", unique()));
        assertEquals(List.of(Code.OK, Code.OVER_LIMIT), Grpc.times(2, () -> envoy.shouldRateLimit(request).getOverallCode()));
    }

    @Test
    void badInputIsInvalidArgument() {
        assertInvalid(request("", descriptor("a", "b")));
        assertInvalid(RateLimitRequest.newBuilder().setDomain("test").build());
        RateLimitRequest.Builder many = RateLimitRequest.newBuilder().setDomain("test");
        for (int i = 0; i < 10_000; i++) {
            many.addDescriptors(descriptor("fixed", "v" + i));
        }
        assertInvalid(many.build());
        assertInvalid(request("test", descriptor("fixed", "x".repeat(1_000_000))));
        assertInvalid(request("test", descriptor("fixed", "")));
        assertInvalid(request("test", RateLimitDescriptor.getDefaultInstance()));
        assertInvalid(request("test", descriptor("fixed", unique()).toBuilder().setHitsAddend(UInt64Value.of(-1L)).build()));
        assertInvalid(request("test", descriptor("fixed", unique())).toBuilder().setHitsAddend(-1).build());
        assertInvalid(request("test", descriptor("fixed", unique()).toBuilder()
                .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(1)).build()));
    }

    @Test
    void oneConnectionMayNotOpenStreamsWithoutBound() throws Exception {
        // each open stream holds memory until it is answered; Vert.x alone would allow 2^32 - 1 per connection
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
            long advertised = client.request(HttpMethod.GET, url.getPort(), url.getHost(), "/q/health/live")
                    .compose(request -> request.send().map(response -> request.connection().remoteSettings().getMaxConcurrentStreams()))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(256, advertised);
        } finally {
            vertx.close();
        }
    }

    private void assertInvalid(RateLimitRequest request) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> envoy.shouldRateLimit(request));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().length() < 200, "the description does not echo the input");
    }
}
