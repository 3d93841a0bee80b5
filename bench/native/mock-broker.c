/*
 * mock-broker: the reference broker of `npm run bench`.
 *
 * librdkafka ships an in-memory Kafka cluster for its own tests
 * (rdkafka_mock.h). It writes nothing to disk, so it bounds how fast protocol
 * handling alone can be. It has no CreateTopics, so the bench topics are
 * created here from the command line:
 *
 *   mock-broker [--brokers N] [topic:partitions ...]
 *
 * Prints "Mock cluster listening on <bootstrap servers>" once serving, then
 * runs until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
        int brokers = 1;
        int first   = 1;
        if (argc > 2 && !strcmp(argv[1], "--brokers")) {
                brokers = atoi(argv[2]);
                first   = 3;
        }

        /* Block the stop signals before librdkafka starts its threads, so
         * that they are delivered to sigwait() below and nowhere else. */
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);

        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        /* The handle only hosts the cluster's threads; keep it quiet. */
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
        rd_kafka_t *rk =
            rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) {
                fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", err);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mock-broker: cannot create mock cluster\n");
                return 1;
        }

        for (int i = first; i < argc; i++) {
                char *spec  = strdup(argv[i]);
                char *colon = strrchr(spec, ':');
                int parts   = 1;
                if (colon) {
                        *colon = '\0';
                        parts  = atoi(colon + 1);
                }
                rd_kafka_resp_err_t e =
                    rd_kafka_mock_topic_create(mc, spec, parts, 1);
                if (e) {
                        fprintf(stderr, "mock-broker: topic %s: %s\n", spec,
                                rd_kafka_err2str(e));
                        return 1;
                }
                free(spec);
        }

        printf("Mock cluster listening on %s\n",
               rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        int sig;
        sigwait(&stop, &sig);

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
