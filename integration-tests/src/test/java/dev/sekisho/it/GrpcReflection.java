package dev.sekisho.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;

/** Asks a gRPC port what grpcurl's {@code list} asks: the services its reflection service names. */
final class GrpcReflection {

    private GrpcReflection() {
    }

    /** The service names, or a {@link StatusRuntimeException} with the status the port answered (UNIMPLEMENTED: no reflection). */
    static List<String> listServices(int port) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            List<String> names = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            Throwable[] failure = new Throwable[1];
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse response) {
                            response.getListServicesResponse().getServiceList().stream()
                                    .map(ServiceResponse::getName).forEach(names::add);
                        }

                        @Override
                        public void onError(Throwable t) {
                            failure[0] = t;
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            requests.onCompleted();
            if (!done.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("no reflection answer within 30 s");
            }
            if (failure[0] != null) {
                throw failure[0] instanceof StatusRuntimeException status ? status : Status.fromThrowable(failure[0]).asRuntimeException();
            }
            return names;
        } finally {
            channel.shutdownNow();
        }
    }
}
