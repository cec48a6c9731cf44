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
    void extAuthzKeepsEnvoysNamesAndFieldNumbers() throws IOException {
        ProtoFile authz = ProtoFile.read(PROTO.resolve("envoy/service/auth/v3/external_auth.proto"));
        assertEquals("envoy.service.auth.v3", authz.packageName());
        assertTrue(authz.text().replaceAll("\\s+", " ").contains("rpc Check(CheckRequest) returns (CheckResponse)"));
        assertEquals(Map.of("attributes", 1), authz.fields("CheckRequest"));
        assertEquals(Map.of("status", 1, "denied_response", 2, "ok_response", 3, "dynamic_metadata", 4),
                authz.fields("CheckResponse"));
        assertEquals(Map.of("status", 1, "headers", 2, "body", 3), authz.fields("DeniedHttpResponse"));
        assertEquals(Map.of("headers", 2, "dynamic_metadata", 3, "headers_to_remove", 5, "response_headers_to_add", 6,
                "query_parameters_to_set", 7, "query_parameters_to_remove", 8), authz.fields("OkHttpResponse"));

        ProtoFile context = ProtoFile.read(PROTO.resolve("envoy/service/auth/v3/attribute_context.proto"));
        assertEquals(Map.of("source", 1, "destination", 2, "request", 4, "context_extensions", 10,
                "metadata_context", 11, "tls_session", 12, "route_metadata_context", 13), context.fields("AttributeContext"));
        assertEquals(Map.of("address", 1, "service", 2, "labels", 3, "principal", 4, "certificate", 5), context.fields("Peer"));
        assertEquals(Map.of("time", 1, "http", 2), context.fields("Request"));
        assertEquals(Map.ofEntries(Map.entry("id", 1), Map.entry("method", 2), Map.entry("headers", 3), Map.entry("path", 4),
                Map.entry("host", 5), Map.entry("scheme", 6), Map.entry("query", 7), Map.entry("fragment", 8),
                Map.entry("size", 9), Map.entry("protocol", 10), Map.entry("body", 11), Map.entry("raw_body", 12),
                Map.entry("header_map", 13)), context.fields("HttpRequest"));

        ProtoFile status = ProtoFile.read(PROTO.resolve("envoy/type/v3/http_status.proto"));
        assertEquals(Map.of("code", 1), status.fields("HttpStatus"));
        var codes = status.enumValues("StatusCode");
        assertEquals(401, codes.get("Unauthorized"));
        assertEquals(403, codes.get("Forbidden"));
        assertEquals(429, codes.get("TooManyRequests"));
        assertEquals(503, codes.get("ServiceUnavailable"));

        ProtoFile base = ProtoFile.read(PROTO.resolve("envoy/config/core/v3/base.proto"));
        assertEquals(Map.of("header", 1, "append", 2, "append_action", 3, "keep_empty_value", 4), base.fields("HeaderValueOption"));
        ProtoFile address = ProtoFile.read(PROTO.resolve("envoy/config/core/v3/address.proto"));
        assertEquals(Map.of("socket_address", 1, "pipe", 2, "envoy_internal_address", 3), address.fields("Address"));
        assertEquals(Map.of("protocol", 1, "address", 2, "port_value", 3, "named_port", 4, "resolver_name", 5,
                "ipv4_compat", 6), address.fields("SocketAddress"));
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
