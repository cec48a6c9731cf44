package dev.sekisho.audit.rest;

import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.repository.AuditQuery;
import dev.sekisho.audit.repository.CheckpointEntity;
import dev.sekisho.audit.service.ChainVerifier;
import dev.sekisho.audit.service.ReadAudit;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/** Verification of the chain, and the public key that lets anyone check the checkpoints offline. */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditVerifyResource {

    public record PublicKey(String keyId, String algorithm, String format, String key) {
    }

    /** A signed checkpoint as offline verification reads it (see docs/security.md). */
    public record CheckpointView(long seq, String hash, Instant signedAt, long signedAtMicros, String keyId, String signature,
            boolean anchor) {

        static CheckpointView of(CheckpointEntity c) {
            return new CheckpointView(c.seq, HexFormat.of().formatHex(c.hash), c.signedAt, HashChain.micros(c.signedAt), c.keyId,
                    Base64.getEncoder().encodeToString(c.signature), c.anchor);
        }
    }

    @Inject
    AuditQuery query;

    @Inject
    ChainVerifier verifier;

    @Inject
    CheckpointSigner signer;

    @Inject
    ReadAudit readAudit;

    @Inject
    SecurityIdentity reader;

    /** 200 with {@code valid}, or the first bad record; from/to are sequence numbers (default: all). */
    @GET
    @Path("/verify")
    @RolesAllowed({Permissions.AUDITOR, Permissions.ADMIN})
    public Uni<ChainVerifier.Result> verify(@QueryParam("from") Long from, @QueryParam("to") Long to) {
        return readAudit.recorded(reader, "verify", Map.of("from", String.valueOf(from), "to", String.valueOf(to)),
                Uni.createFrom().deferred(() -> verifier.verify(from, to)));
    }

    /** The signed checkpoints in a range of sequence numbers, at most 1,000 at a time. */
    @GET
    @Path("/checkpoints")
    @RolesAllowed({Permissions.AUDITOR, Permissions.ADMIN})
    public Uni<List<CheckpointView>> checkpoints(@QueryParam("from") @DefaultValue("1") @Min(1) long from,
            @QueryParam("to") @DefaultValue("9223372036854775807") @Min(1) long to) {
        return readAudit.recorded(reader, "checkpoints", Map.of("from", String.valueOf(from), "to", String.valueOf(to)),
                query.checkpoints(from, to, 1_000).map(list -> list.stream().map(CheckpointView::of).toList()));
    }

    /** Checkpoint signatures are Ed25519 over seq (8 bytes, big-endian) || hash (32) || signed_at (µs, 8). */
    @GET
    @Path("/public-key")
    @PermitAll
    public PublicKey publicKey() {
        return new PublicKey(signer.keyId(), "Ed25519", "X.509 SubjectPublicKeyInfo, base64",
                Base64.getEncoder().encodeToString(signer.publicKeyEncoded()));
    }
}
