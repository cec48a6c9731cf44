package dev.sekisho.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Envoy calls Sekisho with its own generated code, so the Envoy protos here must keep Envoy's package, service,
 * message names and field numbers exactly. The expected numbers are copied from Envoy's published API.
 */
class EnvoyContractTest {

    private static final Path PROTO = Path.of("src/main/proto");

    @Test
    void rateLimitServiceKeepsEnvoysNames() throws IOException {
        ProtoFile rls = ProtoFile.read(PROTO.resolve("envoy/service/ratelimit/v3/rls.proto"));
        assertEquals("envoy.service.ratelimit.v3", rls.packageName());
        assertTrue(rls.text().contains("service RateLimitService {"));
        assertTrue(rls.text().replaceAll("\\s+", " ")
                .contains("rpc ShouldRateLimit(RateLimitRequest) returns (RateLimitResponse)"));
    }

    @Test
    void rateLimitMessagesKeepEnvoysFieldNumbers() throws IOException {
        ProtoFile rls = ProtoFile.read(PROTO.resolve("envoy/service/ratelimit/v3/rls.proto"));
        assertEquals(Map.of("domain", 1, "descriptors", 2, "hits_addend", 3), rls.fields("RateLimitRequest"));
        assertEquals(Map.of("overall_code", 1, "statuses", 2, "response_headers_to_add", 3, "request_headers_to_add", 4,
                "raw_body", 5, "dynamic_metadata", 6, "quota", 7), rls.fields("RateLimitResponse"));
        assertEquals(Map.of("code", 1, "current_limit", 2, "limit_remaining", 3, "duration_until_reset", 4, "quota", 5),
                rls.fields("DescriptorStatus"));
        assertEquals(Map.of("name", 3, "requests_per_unit", 1, "unit", 2), rls.fields("RateLimit"));
        assertEquals(Map.of("requests", 1, "valid_until", 2, "id", 3), rls.fields("Quota"));
        assertEquals(Map.of("UNKNOWN", 0, "OK", 1, "OVER_LIMIT", 2), rls.enumValues("Code"));
        assertEquals(Map.of("UNKNOWN", 0, "SECOND", 1, "MINUTE", 2, "HOUR", 3, "DAY", 4, "MONTH", 5, "YEAR", 6, "WEEK", 7),
                rls.enumValues("Unit"));
    }

    @Test
    void descriptorKeepsEnvoysFieldNumbers() throws IOException {
        ProtoFile descriptor = ProtoFile.read(PROTO.resolve("envoy/extensions/common/ratelimit/v3/ratelimit.proto"));
        assertEquals("envoy.extensions.common.ratelimit.v3", descriptor.packageName());
        assertEquals(Map.of("entries", 1, "limit", 2, "hits_addend", 3), descriptor.fields("RateLimitDescriptor"));
        assertEquals(Map.of("key", 1, "value", 2), descriptor.fields("Entry"));
        assertEquals(Map.of("requests_per_unit", 1, "unit", 2), descriptor.fields("RateLimitOverride"));

        ProtoFile base = ProtoFile.read(PROTO.resolve("envoy/config/core/v3/base.proto"));
        assertEquals(Map.of("key", 1, "value", 2, "raw_value", 3), base.fields("HeaderValue"));
    }

    @Test
    void everySekishoContractIsVersionedPerService() throws IOException {
        for (String service : new String[] {"auth", "ratelimit", "secrets", "audit", "alert"}) {
            try (var files = Files.list(PROTO.resolve("sekisho").resolve(service).resolve("v1"))) {
                var protos = files.filter(p -> p.toString().endsWith(".proto")).toList();
                assertTrue(!protos.isEmpty(), "no contract for " + service);
                for (Path proto : protos) {
                    ProtoFile file = ProtoFile.read(proto);
                    assertEquals("sekisho." + service + ".v1", file.packageName(), proto.toString());
                    assertTrue(file.text().contains("option java_package = \"dev.sekisho." + service + ".v1\";"), proto.toString());
                    assertTrue(file.text().contains("service "), proto + " declares no service");
                }
            }
        }
    }
}
