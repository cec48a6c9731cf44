package dev.sekisho.ratelimit;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/** Plain grpc-java clients against the test instance's port (gRPC shares the HTTP port). */
final class Grpc {

    private Grpc() {
    }

    static ManagedChannel channel(URL testUrl) {
        return ManagedChannelBuilder.forAddress(testUrl.getHost(), testUrl.getPort()).usePlaintext().build();
    }

    /** Sends {@code Authorization: Bearer <token>} on every call. */
    static ClientInterceptor bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** A descriptor from key/value pairs. */
    static RateLimitDescriptor descriptor(String... keysAndValues) {
        RateLimitDescriptor.Builder descriptor = RateLimitDescriptor.newBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            descriptor.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(keysAndValues[i]).setValue(keysAndValues[i + 1]));
        }
        return descriptor.build();
    }

    static RateLimitRequest request(String domain, RateLimitDescriptor... descriptors) {
        return RateLimitRequest.newBuilder().setDomain(domain).addAllDescriptors(List.of(descriptors)).build();
    }

    static String unique() {
        return UUID.randomUUID().toString();
    }

    static <T> List<T> times(int n, java.util.function.Supplier<T> call) {
        List<T> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            results.add(call.get());
        }
        return results;
    }
}
