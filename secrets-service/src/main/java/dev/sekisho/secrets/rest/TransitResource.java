package dev.sekisho.secrets.rest;

import java.util.List;
import java.util.function.Function;

import jakarta.inject.Inject;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.SecretsVault;
import dev.sekisho.secrets.service.Transit;
import dev.sekisho.secrets.service.TransitKeys;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Transit over REST: keys under {@code /v1/transit/keys}, and the operations under their own first segment with the
 * key name after it ({@code /v1/transit/encrypt/{name}}), so that key names may hold slashes as secret paths do.
 * Byte fields are base64. A single item or a {@code batchInput} list, never both. What the caller may do with a key is
 * the access policies' answer (resource {@code transit}).
 */
@Path("/v1/transit")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Authenticated
public class TransitResource {

    public record CreateBody(Boolean derived, @PositiveOrZero Long autoRotatePeriodSeconds) {
    }

    public record ConfigBody(@PositiveOrZero Integer minDecryptionVersion, @PositiveOrZero Integer minEncryptionVersion,
            @PositiveOrZero Long autoRotatePeriodSeconds) {
    }

    public record TrimBody(@NotNull Integer minAvailableVersion) {
    }

    public record PlainItem(String plaintext, String context) {
    }

    public record EncryptBody(String plaintext, String context, @PositiveOrZero Integer keyVersion, List<PlainItem> batchInput) {
    }

    public record CipherItem(String ciphertext, String context) {
    }

    public record DecryptBody(String ciphertext, String context, List<CipherItem> batchInput) {
    }

    public record DataKeyBody(Integer bits, String context) {
    }

    public record HmacItem(String input, String hmac) {
    }

    public record HmacBody(String input, String hmac, @PositiveOrZero Integer keyVersion, List<HmacItem> batchInput) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String ciphertext, String plaintext, String hmac, Boolean valid) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Answer(String ciphertext, String plaintext, String hmac, Boolean valid, Integer keyVersion, List<Result> batchResults) {
    }

    private static final String NAME = "{name: .+}";

    @Inject
    TransitKeys keys;

    @Inject
    Transit transit;

    @Inject
    ClientAddress clientAddress;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @GET
    @Path("/keys")
    public Uni<SecretsVault.Listing> list(@QueryParam("after") String after, @QueryParam("limit") @DefaultValue("100") int limit) {
        return keys.list(accessor(), after, limit);
    }

    @POST
    @Path("/keys/" + NAME)
    public Uni<TransitKeys.KeyInfo> create(@PathParam("name") @Encoded String name, CreateBody body) {
        CreateBody b = body == null ? new CreateBody(false, null) : body;
        return keys.create(accessor(), name, Boolean.TRUE.equals(b.derived()), b.autoRotatePeriodSeconds());
    }

    @GET
    @Path("/keys/" + NAME)
    public Uni<TransitKeys.KeyInfo> read(@PathParam("name") @Encoded String name) {
        return keys.read(accessor(), name);
    }

    @POST
    @Path("/rotate/" + NAME)
    public Uni<TransitKeys.KeyInfo> rotate(@PathParam("name") @Encoded String name) {
        return keys.rotate(accessor(), name);
    }

    @POST
    @Path("/config/" + NAME)
    public Uni<TransitKeys.KeyInfo> configure(@PathParam("name") @Encoded String name, @NotNull ConfigBody body) {
        return keys.configure(accessor(), name,
                new TransitKeys.Change(body.minDecryptionVersion(), body.minEncryptionVersion(), body.autoRotatePeriodSeconds()));
    }

    @POST
    @Path("/trim/" + NAME)
    public Uni<TransitKeys.KeyInfo> trim(@PathParam("name") @Encoded String name, @NotNull TrimBody body) {
        return keys.trim(accessor(), name, body.minAvailableVersion());
    }

    @POST
    @Path("/encrypt/" + NAME)
    public Uni<Answer> encrypt(@PathParam("name") @Encoded String name, @NotNull EncryptBody body) {
        return Uni.createFrom().deferred(() -> {
            List<Transit.Item> items = oneOrBatch(body.plaintext() != null || body.context() != null, body.batchInput(),
                    () -> new Transit.Item(Base64Field.required("plaintext", body.plaintext()), Base64Field.decode("context", body.context())),
                    i -> new Transit.Item(Base64Field.required("plaintext", i.plaintext()), Base64Field.decode("context", i.context())));
            return transit.encrypt(accessor(), name, items, body.keyVersion() == null ? 0 : body.keyVersion())
                    .map(out -> answer(body.batchInput(), out, c -> new Result(c, null, null, null),
                            c -> new Answer(c, null, null, null, version(c), null)));
        });
    }

    @POST
    @Path("/decrypt/" + NAME)
    public Uni<Answer> decrypt(@PathParam("name") @Encoded String name, @NotNull DecryptBody body) {
        return Uni.createFrom().deferred(() -> transit.decrypt(accessor(), name, sealed(body))
                .map(out -> answer(body.batchInput(), out, p -> new Result(null, Base64Field.encode(p), null, null),
                        p -> new Answer(null, Base64Field.encode(p), null, null, null, null))));
    }

    @POST
    @Path("/rewrap/" + NAME)
    public Uni<Answer> rewrap(@PathParam("name") @Encoded String name, @NotNull DecryptBody body) {
        return Uni.createFrom().deferred(() -> transit.rewrap(accessor(), name, sealed(body))
                .map(out -> answer(body.batchInput(), out, c -> new Result(c, null, null, null),
                        c -> new Answer(c, null, null, null, version(c), null))));
    }

    /** A data key: {@code plaintext} returns it in the clear and encrypted, {@code wrapped} encrypted only. */
    @POST
    @Path("/datakey/{mode: plaintext|wrapped}/" + NAME)
    public Uni<Answer> dataKey(@PathParam("mode") String mode, @PathParam("name") @Encoded String name, DataKeyBody body) {
        DataKeyBody b = body == null ? new DataKeyBody(null, null) : body;
        return Uni.createFrom().deferred(() -> transit.dataKey(accessor(), name, "plaintext".equals(mode), b.bits() == null ? 256 : b.bits(),
                Base64Field.decode("context", b.context())))
                .map(k -> new Answer(k.ciphertext(), Base64Field.encode(k.plaintext()), null, null, k.keyVersion(), null));
    }

    @POST
    @Path("/hmac/" + NAME)
    public Uni<Answer> hmac(@PathParam("name") @Encoded String name, @NotNull HmacBody body) {
        return Uni.createFrom().deferred(() -> {
            List<byte[]> inputs = oneOrBatch(body.input() != null, body.batchInput(), () -> Base64Field.required("input", body.input()),
                    i -> Base64Field.required("input", i.input()));
            return transit.hmac(accessor(), name, inputs, body.keyVersion() == null ? 0 : body.keyVersion())
                    .map(out -> answer(body.batchInput(), out, h -> new Result(null, null, h, null),
                            h -> new Answer(null, null, h, null, version(h), null)));
        });
    }

    @POST
    @Path("/verify/" + NAME)
    public Uni<Answer> verify(@PathParam("name") @Encoded String name, @NotNull HmacBody body) {
        return Uni.createFrom().deferred(() -> {
            List<Transit.Check> checks = oneOrBatch(body.input() != null || body.hmac() != null, body.batchInput(),
                    () -> new Transit.Check(Base64Field.required("input", body.input()), required("hmac", body.hmac())),
                    i -> new Transit.Check(Base64Field.required("input", i.input()), required("hmac", i.hmac())));
            return transit.verify(accessor(), name, checks).map(out -> answer(body.batchInput(), out, v -> new Result(null, null, null, v),
                    v -> new Answer(null, null, null, v, null, null)));
        });
    }

    private List<Transit.Sealed> sealed(DecryptBody body) {
        return oneOrBatch(body.ciphertext() != null || body.context() != null, body.batchInput(),
                () -> new Transit.Sealed(required("ciphertext", body.ciphertext()), Base64Field.decode("context", body.context())),
                i -> new Transit.Sealed(required("ciphertext", i.ciphertext()), Base64Field.decode("context", i.context())));
    }

    /** The single item or the batch: exactly one of them. */
    private static <I, T> List<T> oneOrBatch(boolean single, List<I> batch, java.util.function.Supplier<T> one, Function<I, T> each) {
        if (single && batch != null) {
            throw ProblemException.badRequest("Send either a single item or batchInput, not both.");
        }
        if (batch == null) {
            return List.of(one.get());
        }
        if (batch.stream().anyMatch(java.util.Objects::isNull)) {
            throw ProblemException.badRequest("batchInput holds an empty item");
        }
        return batch.stream().map(each).toList();
    }

    private static <T> Answer answer(List<?> batch, List<T> out, Function<T, Result> each, Function<T, Answer> single) {
        return batch == null ? single.apply(out.get(0)) : new Answer(null, null, null, null, null, out.stream().map(each).toList());
    }

    private static String required(String field, String text) {
        if (text == null || text.isEmpty()) {
            throw ProblemException.badRequest(field + " is required");
        }
        return text;
    }

    private static Integer version(String text) {
        int colon = text.indexOf(':', dev.sekisho.secrets.crypto.TransitCipher.PREFIX.length());
        return Integer.valueOf(text.substring(dev.sekisho.secrets.crypto.TransitCipher.PREFIX.length(), colon));
    }

    private Accessor accessor() {
        return clientAddress.accessor(caller, request);
    }
}
