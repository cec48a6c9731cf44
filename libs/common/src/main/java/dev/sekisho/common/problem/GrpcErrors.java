package dev.sekisho.common.problem;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/**
 * Every failure of a gRPC call becomes a status a caller can act on, the gRPC twin of {@link ProblemMappers}:
 * problems keep their code, missing credentials are UNAUTHENTICATED, insufficient roles PERMISSION_DENIED, and
 * anything unexpected is INTERNAL with an id in the log, never an exception's class name or message.
 *
 * <p>gRPC services still turn their ProblemExceptions into statuses themselves
 * ({@code onFailure(ProblemException.class).transform(...)}): when the tests run against packaged modules, this
 * provider can see ProblemException through another class loader, where {@code instanceof} does not match.
 */
@ApplicationScoped
public class GrpcErrors implements ExceptionHandlerProvider {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    @Override
    public <ReqT, RespT> ExceptionHandler<ReqT, RespT> createHandler(ServerCall.Listener<ReqT> listener,
            ServerCall<ReqT, RespT> call, Metadata metadata) {
        return new ExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable failure, ServerCall<ReqT, RespT> serverCall, Metadata trailers) {
                serverCall.close(status(failure), trailers);
            }
        };
    }

    @Override
    public Throwable transform(Throwable failure) {
        return status(failure).asRuntimeException();
    }

    static Status status(Throwable failure) {
        Status known = known(failure);
        if (known != null) {
            return known;
        }
        String errorId = UUID.randomUUID().toString();
        LOG.errorf(failure, "Unexpected gRPC error %s", errorId);
        return Status.INTERNAL.withDescription("Unexpected error; quote id " + errorId + " to the operators.");
    }

    /**
     * The status of a failure the suite knows, or null: a status or problem anywhere in the cause chain first (an
     * identity provider's 503, such as a revocation list that cannot be read, reaches here wrapped in Quarkus'
     * AuthenticationFailedException, and must stay a 503, not become a bad credential), then the security exceptions.
     */
    public static Status known(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                return s.getStatus();
            }
            if (t instanceof StatusException s) {
                return s.getStatus();
            }
            if (t instanceof ProblemException p) {
                return GrpcProblems.toStatus(p).getStatus();
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnauthorizedException || t instanceof AuthenticationFailedException) {
                return Status.UNAUTHENTICATED.withDescription("Missing or invalid credentials.");
            }
            if (t instanceof ForbiddenException) {
                return Status.PERMISSION_DENIED.withDescription("The caller's roles do not allow this operation.");
            }
        }
        return null;
    }

    /**
     * A write path's failure as a status: what the suite knows keeps its status (a bad token: UNAUTHENTICATED, a
     * revocation list that cannot be read: its own 503), anything else is UNAVAILABLE with {@code detail} (the store
     * behind the call failed: the caller retries, as the outboxes do). The unexpected failure's class is logged, never
     * its message, which may quote what was written.
     */
    public static StatusRuntimeException knownOrUnavailable(Throwable failure, String detail) {
        Status known = known(failure);
        if (known != null) {
            return known.asRuntimeException();
        }
        LOG.warnf("answered UNAVAILABLE (%s) after %s", detail, failure.getClass().getName());
        return Status.UNAVAILABLE.withDescription(detail).asRuntimeException();
    }
}
