package dev.sekisho.auth.client;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.smallrye.mutiny.Uni;

/** Keycloak's OpenID discovery document of a realm. */
@RegisterRestClient(configKey = "keycloak")
public interface KeycloakDiscoveryClient {

    @GET
    @Path("/realms/{realm}/.well-known/openid-configuration")
    Uni<Map<String, Object>> discovery(@PathParam("realm") String realm);
}
