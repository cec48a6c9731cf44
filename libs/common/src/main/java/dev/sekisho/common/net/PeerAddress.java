package dev.sekisho.common.net;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import jakarta.enterprise.context.ApplicationScoped;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;

/**
 * The address a gRPC call came from, as the connection shows it (not as any field of the request claims), in every
 * service: for audit records, for calls that name an address of their own (ext_authz's {@code source.address}) and
 * for allow-lists (secrets-service).
 */
@GlobalInterceptor
@ApplicationScoped
public class PeerAddress implements ServerInterceptor {

    private static final Context.Key<String> ADDRESS = Context.key("sekisho-peer-address");

    /** The current call's peer address, or "" outside a call or where the transport does not tell. */
    public static String current() {
        String address = ADDRESS.get();
        return address == null ? "" : address;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String address = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : "";
        return Contexts.interceptCall(Context.current().withValue(ADDRESS, address), call, headers, next);
    }
}
