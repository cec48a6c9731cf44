package dev.sekisho.secrets.rest;

import java.time.Instant;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.Tokenizer;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Tokenization over REST, per namespace ({@code /v1/tokens/tokenize/{namespace}}): values in, tokens out; tokens in,
 * values out for callers holding {@code detokenize} in that namespace (resource {@code tokens} of the access policies).
 */
@Path("/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Authenticated
public class TokensResource {

    public record TokenizeBody(List<String> values, Long ttlSeconds) {
    }

    public record TokensBody(List<String> tokens) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Issued(String token, Instant expiresAt) {
    }

    public record Tokenized(List<Issued> tokens) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Value(String token, String value, String status) {
    }

    public record Values(List<Value> values) {
    }

    public record Revoked(int revoked) {
    }

    private static final String NAMESPACE = "{namespace: .+}";

    @Inject
    Tokenizer tokenizer;

    @Inject
    ClientAddress clientAddress;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @POST
    @Path("/tokenize/" + NAMESPACE)
    public Uni<Tokenized> tokenize(@PathParam("namespace") @Encoded String namespace, @NotNull TokenizeBody body) {
        return tokenizer.tokenize(accessor(), namespace, body.values(), body.ttlSeconds())
                .map(tokens -> new Tokenized(tokens.stream().map(t -> new Issued(t.token(), t.expiresAt())).toList()));
    }

    @POST
    @Path("/detokenize/" + NAMESPACE)
    public Uni<Values> detokenize(@PathParam("namespace") @Encoded String namespace, @NotNull TokensBody body) {
        return tokenizer.detokenize(accessor(), namespace, body.tokens())
                .map(values -> new Values(values.stream().map(v -> new Value(v.token(), v.value(), v.status())).toList()));
    }

    @POST
    @Path("/revoke/" + NAMESPACE)
    public Uni<Revoked> revoke(@PathParam("namespace") @Encoded String namespace, @NotNull TokensBody body) {
        return tokenizer.revoke(accessor(), namespace, body.tokens()).map(Revoked::new);
    }

    private Accessor accessor() {
        return clientAddress.accessor(caller, request);
    }
}
