package dev.sekisho.peers;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.v1.MutinyAlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.common.tracing.TraceOrigin;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/** Hands security signals from the outbox to alert-service, which counts each signal id once. */
@ApplicationScoped
public class SignalDelivery extends ProtoDelivery<SecuritySignal> {

    public static final String STREAM = "signals";

    @GrpcClient("alerts")
    MutinyAlertsGrpc.MutinyAlertsStub alerts;

    @Inject
    ServiceToken serviceToken;

    @GrpcClient("alerts")
    io.grpc.Channel channel;

    public SignalDelivery() {
        super(STREAM, SecuritySignal.parser(), m -> new TraceOrigin(m.getTraceId(), m.getSpanId()));
    }

    @Override
    protected Uni<?> send(SecuritySignal signal) {
        return alerts.withCallCredentials(serviceToken.credentials()).signal(signal)
                .onFailure(ProtoDelivery::unavailable).invoke(() -> ProtoDelivery.reconnectNow(channel));
    }
}
