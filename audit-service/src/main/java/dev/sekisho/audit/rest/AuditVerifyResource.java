package dev.sekisho.audit.rest;

import java.util.Base64;
import java.util.Map;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.audit.chain.CheckpointSigner;
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

    /** Checkpoint signatures are Ed25519 over seq (8 bytes, big-endian) || hash (32) || signed_at (µs, 8). */
    @GET
    @Path("/public-key")
    @PermitAll
    public PublicKey publicKey() {
        return new PublicKey(signer.keyId(), "Ed25519", "X.509 SubjectPublicKeyInfo, base64",
                Base64.getEncoder().encodeToString(signer.publicKeyEncoded()));
    }
}
