package dev.sekisho.common.net;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;

/**
 * mTLS for gRPC: with {@code sekisho.tls.grpc-client-certificates=required}, a gRPC call is served only over TLS with a
 * client certificate the service's trust store verified (the TLS layer asks every client for one,
 * {@code quarkus.http.ssl.client-auth=request}); anything else is refused UNAUTHENTICATED before any handler runs. gRPC
 * is how services, Envoy (rate-limit, ext_authz) and alert playbooks call; people use REST, which this leaves to
 * bearer tokens, so one port serves both. The caller's token is still checked: a certificate says which machine
 * calls, the token what it may do.
 */
@GlobalInterceptor
@ApplicationScoped
public class ClientCertificates implements ServerInterceptor {

    private static final ServerCall.Listener<?> NOTHING = new ServerCall.Listener<>() {
    };

    @ConfigProperty(name = "sekisho.tls.grpc-client-certificates", defaultValue = "none")
    String mode;

    @jakarta.annotation.PostConstruct
    void check() {
        if (!mode.equals("none") && !mode.equals("required")) {
            throw new IllegalStateException("sekisho.tls.grpc-client-certificates is none or required, not " + mode);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!"required".equals(mode) || verified(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))) {
            return next.startCall(call, headers);
        }
        call.close(Status.UNAUTHENTICATED.withDescription("this service requires a client certificate (mTLS) for gRPC"), new Metadata());
        return (ServerCall.Listener<Q>) NOTHING;
    }

    static boolean verified(SSLSession session) {
        if (session == null) {
            return false;
        }
        try {
            return session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException none) {
            return false;
        }
    }
}
