package dev.sekisho.common.problem;

import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Turns every failure of a REST request into an RFC 9457 problem. Nothing a client sent is echoed back, and no
 * stack trace leaves the service: unexpected errors are logged with an id that the response carries.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e, UriInfo uri) {
        Response.ResponseBuilder response = respond(e.problem().withInstance(path(uri)));
        e.headers().forEach(response::header);
        return response.build();
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e, UriInfo uri) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(field(v), v.getMessage()))
                .sorted(Comparator.comparing(Problem.FieldError::field))
                .toList();
        Problem problem = Problem.of(ProblemType.VALIDATION_FAILED, "One or more fields are invalid.")
                .withErrors(errors).withInstance(path(uri));
        return respond(problem).build();
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e, UriInfo uri) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        // The parser's own message quotes the input; only the position is safe to return.
        return respond(Problem.of(ProblemType.MALFORMED_BODY, "The body is not valid JSON for this request" + where + ".")
                .withInstance(path(uri))).build();
    }

    @ServerExceptionMapper({io.quarkus.security.UnauthorizedException.class,
            io.quarkus.security.AuthenticationFailedException.class})
    public Response unauthenticated(RuntimeException e, UriInfo uri) {
        return respond(Problem.of(ProblemType.UNAUTHORIZED, "Missing or invalid credentials.").withInstance(path(uri)))
                .header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper
    public Response forbidden(io.quarkus.security.ForbiddenException e, UriInfo uri) {
        return respond(Problem.of(ProblemType.FORBIDDEN, "The caller's roles do not allow this operation.")
                .withInstance(path(uri))).build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e, uri);
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof JsonProcessingException unreadable) {
                return unreadable(unreadable, uri); // the JSON reader wraps parse errors in a plain 400
            }
        }
        ProblemType type = ProblemType.forStatus(status);
        Problem problem = new Problem(type.uri(), type.title(), status, genericDetail(status), path(uri), List.of());
        Response.ResponseBuilder response = respond(problem);
        if (status == 405 && e.getResponse().getHeaderString("Allow") != null) {
            response.header("Allow", e.getResponse().getHeaderString("Allow"));
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, UriInfo uri) {
        String errorId = UUID.randomUUID().toString();
        LOG.errorf(e, "Unexpected error %s on %s", errorId, path(uri));
        return respond(Problem.of(ProblemType.INTERNAL, "Unexpected error; quote id " + errorId + " to the operators.")
                .withInstance(path(uri))).build();
    }

    private static Response.ResponseBuilder respond(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
    }

    private static String genericDetail(int status) {
        return switch (status) {
            case 401 -> "Missing or invalid credentials.";
            case 403 -> "The caller's roles do not allow this operation.";
            case 404 -> "No such resource.";
            case 405 -> "This resource does not support the method.";
            case 406 -> "No acceptable representation.";
            case 413 -> "The request is too large.";
            case 415 -> "The content type is not supported here.";
            default -> "The request cannot be processed.";
        };
    }

    /** The bean property path when there is one ("owner.email"), else the parameter name ("limit"). */
    private static String field(ConstraintViolation<?> violation) {
        StringBuilder properties = new StringBuilder();
        String parameter = null;
        for (Path.Node node : violation.getPropertyPath()) {
            switch (node.getKind()) {
                case PROPERTY -> properties.append(properties.isEmpty() ? "" : ".").append(node.getName());
                case PARAMETER -> parameter = node.getName();
                default -> {
                }
            }
        }
        if (!properties.isEmpty()) {
            return properties.toString();
        }
        return parameter == null ? "body" : parameter;
    }

    private static String path(UriInfo uri) {
        return uri == null ? null : uri.getPath();
    }
}
