package dev.sekisho.ratelimit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.SignalAck;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * An in-process fake of alert-service's signal API, served by the test instance itself: tests that point the
 * {@code alerts} client at their own port see the signals ratelimit-service sends. The real alert-service meets
 * ratelimit-service in integration-tests.
 */
@GrpcService
public class FakeAlerts extends dev.sekisho.alert.v1.MutinyAlertsGrpc.AlertsImplBase {

    static final List<SecuritySignal> SIGNALS = new CopyOnWriteArrayList<>();

    @Override
    public Uni<SignalAck> signal(SecuritySignal signal) {
        SIGNALS.add(signal);
        return Uni.createFrom().item(SignalAck.newBuilder().setSignalId(signal.getSignalId()).build());
    }
}
