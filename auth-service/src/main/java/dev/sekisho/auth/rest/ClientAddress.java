package dev.sekisho.auth.rest;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.common.net.ForwardedAddress;
import io.vertx.core.http.HttpServerRequest;

/**
 * The address a request really comes from ({@link ForwardedAddress}, libs/common): X-Forwarded-For is believed only
 * from the proxies of {@code sekisho.auth.trusted-proxies}.
 */
@ApplicationScoped
public class ClientAddress {

    private final ForwardedAddress forwarded;

    @Inject
    public ClientAddress(AuthSettings settings) {
        this(settings.trustedProxies().orElse(List.of()));
    }

    ClientAddress(List<String> trustedProxies) {
        try {
            this.forwarded = new ForwardedAddress(trustedProxies);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sekisho.auth.trusted-proxies: " + e.getMessage());
        }
    }

    /** The client address of an HTTP request. */
    public String of(HttpServerRequest request) {
        String peer = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        return resolve(peer, request.getHeader("X-Forwarded-For"));
    }

    public String resolve(String peer, String forwardedFor) {
        return forwarded.resolve(peer, forwardedFor);
    }

    boolean isTrusted(String address) {
        return forwarded.isTrusted(address);
    }
}
