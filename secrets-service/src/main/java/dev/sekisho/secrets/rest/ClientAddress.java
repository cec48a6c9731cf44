package dev.sekisho.secrets.rest;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.common.net.ForwardedAddress;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.service.Accessor;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.http.HttpServerRequest;

/** The address a REST request really comes from: X-Forwarded-For only from {@code sekisho.secrets.trusted-proxies}. */
@ApplicationScoped
public class ClientAddress {

    private final ForwardedAddress forwarded;

    @Inject
    public ClientAddress(SecretsSettings settings) {
        try {
            this.forwarded = new ForwardedAddress(settings.trustedProxies().orElse(List.of()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sekisho.secrets.trusted-proxies: " + e.getMessage());
        }
    }

    public String of(HttpServerRequest request) {
        String peer = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        return forwarded.resolve(peer, request.getHeader("X-Forwarded-For"));
    }

    /** The verified caller of a REST request, with its real address: the one way the resources name who asks. */
    public Accessor accessor(SecurityIdentity caller, HttpServerRequest request) {
        return Accessor.of(caller, of(request), request.getHeader("User-Agent"));
    }
}
