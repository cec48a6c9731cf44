package dev.sekisho.common.problem;

import java.net.URI;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem detail, the body of every error response of the suite ({@code application/problem+json}).
 * {@code detail} is written for the caller and never carries secrets, tokens or the offending input.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(URI type, String title, int status, String detail, String instance, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** One invalid field: where it is and what is wrong with it (never its value). */
    public record FieldError(String field, String message) {
    }

    public static Problem of(ProblemType type, String detail) {
        return new Problem(type.uri(), type.title(), type.status(), detail, null, List.of());
    }

    public Problem withInstance(String instance) {
        return new Problem(type, title, status, detail, instance, errors);
    }

    public Problem withErrors(List<FieldError> fieldErrors) {
        return new Problem(type, title, status, detail, instance, List.copyOf(fieldErrors));
    }
}
