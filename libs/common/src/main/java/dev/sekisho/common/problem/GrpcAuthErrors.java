package dev.sekisho.common.problem;

import jakarta.inject.Singleton;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusException;
import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.auth.AuthExceptionHandler;
import io.quarkus.grpc.auth.AuthExceptionHandlerProvider;

/**
 * Security failures caught by Quarkus' gRPC security interceptor (services written against the grpc-java
 * base classes) get the same codes as everywhere else: UNAUTHENTICATED without credentials, PERMISSION_DENIED
 * for insufficient roles. Quarkus' default answers PERMISSION_DENIED to both.
 */
@Singleton
@Unremovable
public class GrpcAuthErrors implements AuthExceptionHandlerProvider {

    @Override
    public int getPriority() {
        return DEFAULT_PRIORITY + 1;
    }

    @Override
    public <ReqT, RespT> AuthExceptionHandler<ReqT, RespT> createHandler(ServerCall.Listener<ReqT> listener,
            ServerCall<ReqT, RespT> call, Metadata metadata) {
        return new AuthExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable e, ServerCall<ReqT, RespT> serverCall, Metadata trailers) {
                serverCall.close(GrpcErrors.status(e), trailers);
            }
        };
    }

    @Override
    public StatusException transformToStatusException(Throwable e) {
        return GrpcErrors.status(e).asException();
    }

    @Override
    public boolean handlesException(Throwable e) {
        return true;
    }
}
