package dev.sekisho.auth.peers;

import jakarta.enterprise.context.ApplicationScoped;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;

/** Notes, for every gRPC call the test instance serves (the fakes included), whether it carried a bearer token. */
@ApplicationScoped
@GlobalInterceptor
public class CallRecorder implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        FakePeers.CALLS.add(new FakePeers.Call(call.getMethodDescriptor().getFullMethodName(), headers.containsKey(AUTHORIZATION)));
        return next.startCall(call, headers);
    }
}
