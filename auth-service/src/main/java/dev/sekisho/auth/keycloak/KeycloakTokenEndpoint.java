package dev.sekisho.auth.keycloak;

import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.smallrye.mutiny.Uni;

/** Keycloak's OpenID Connect endpoints of a realm, as auth-service's confidential client uses them. */
@RegisterRestClient(configKey = "keycloak")
@Path("/realms/{realm}/protocol/openid-connect")
@Consumes(MediaType.APPLICATION_FORM_URLENCODED)
@Produces(MediaType.APPLICATION_JSON)
public interface KeycloakTokenEndpoint {

    @POST
    @Path("/token")
    Uni<Map<String, Object>> token(@PathParam("realm") String realm, MultivaluedMap<String, String> form);

    /** Ends the session a refresh token belongs to (every token of that session stops refreshing). */
    @POST
    @Path("/logout")
    Uni<Void> logout(@PathParam("realm") String realm, MultivaluedMap<String, String> form);
}
