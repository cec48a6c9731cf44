package dev.sekisho.common.problem;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The gRPC face of the error model: a problem becomes the status code a gRPC caller expects. */
public final class GrpcProblems {

    private GrpcProblems() {
    }

    public static Status.Code code(ProblemType type) {
        return switch (type) {
            case BAD_REQUEST, VALIDATION_FAILED, MALFORMED_BODY, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE,
                    METHOD_NOT_ALLOWED, NOT_ACCEPTABLE -> Status.Code.INVALID_ARGUMENT;
            case UNAUTHORIZED, INVALID_CREDENTIALS -> Status.Code.UNAUTHENTICATED;
            case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case CONFLICT -> Status.Code.ALREADY_EXISTS;
            case RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case INTERNAL -> Status.Code.INTERNAL;
            case INTEGRITY_FAILURE -> Status.Code.DATA_LOSS;
        };
    }

    public static StatusRuntimeException toStatus(ProblemException e) {
        Problem problem = e.problem();
        ProblemType type = typeOf(problem);
        return code(type).toStatus().withDescription(problem.detail()).asRuntimeException();
    }

    public static StatusRuntimeException invalidArgument(String detail) {
        return Status.INVALID_ARGUMENT.withDescription(detail).asRuntimeException();
    }

    private static ProblemType typeOf(Problem problem) {
        for (ProblemType type : ProblemType.values()) {
            if (type.uri().equals(problem.type())) {
                return type;
            }
        }
        return ProblemType.INTERNAL;
    }
}
