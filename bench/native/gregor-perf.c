/*
 * gregor-perf: native load generator for Kafka-protocol brokers, on librdkafka.
 *
 * Node clients saturate long before a broker does, so `npm run bench` drives
 * brokers with this tool. Every mode prints exactly one JSON object on stdout;
 * librdkafka warnings and errors go to stderr and are counted in the JSON.
 *
 *   produce        --topic T --count N --size B [--acks A] [--compression C]
 *                  [--linger-ms L] [--batch-size B] [--idempotence]
 *   consume        --topic T --count N [--group G] [--window W]
 *   latency        --topic T --rate R --duration-s D [--warmup-s S] [--size B]
 *   create-topics  --topic T --partitions P [--topic T2 --partitions P2 ...]
 *   offsets        --topic T
 *   loopback       [--bytes N]          (machine limit: TCP over 127.0.0.1)
 *   diskwrite      --dir D [--bytes N]  (machine limit: page-cache writes)
 *   version        (the librdkafka version linked)
 *
 * Common: --bootstrap host:port, --timeout-s S (hard deadline of the run),
 * --stall-s S (end a produce/consume run that makes no progress for S s),
 * -X key=value (any librdkafka property, applied last).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define MAX_TOPICS 256
#define MAX_X 64
#define MAX_NOTES 5
#define PAYLOAD_POOL 1024

/* ------------------------------------------------------------------ options */

struct opts {
        const char *mode;
        const char *bootstrap;
        const char *topics[MAX_TOPICS];
        int partitions[MAX_TOPICS];
        int topic_cnt;
        long long count;
        int size;
        const char *acks; /* NULL: 1 for produce, all for latency */
        const char *compression;
        int linger_ms;     /* -1: librdkafka default */
        int batch_size;    /* -1: librdkafka default */
        int idempotence;
        const char *group; /* consume: join this group instead of assigning */
        long long window;  /* consume: re-read the last W offsets per partition */
        int rate;
        double duration_s;
        double warmup_s;
        double timeout_s;
        double stall_s; /* no progress for this long ends a run as stalled */
        long long bytes;
        const char *dir;
        const char *xkeys[MAX_X];
        const char *xvals[MAX_X];
        int x_cnt;
};

static struct opts o = {
    .count       = 1000000,
    .size        = 100,
    .compression = "none",
    .linger_ms   = -1,
    .batch_size  = -1,
    .rate        = 10000,
    .duration_s  = 10,
    .warmup_s    = 1,
    .timeout_s   = 120,
    .stall_s     = 15,
    .bytes       = 0,
};

static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "gregor-perf: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
        exit(2);
}

static void usage(void) {
        die("usage: gregor-perf produce|consume|latency|create-topics|offsets|"
            "loopback|diskwrite|version [options] (see gregor-perf.c)");
}

static void parse_args(int argc, char **argv) {
        if (argc < 2)
                usage();
        o.mode = argv[1];
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                 \
        do {                                                                   \
                if (!v)                                                        \
                        die("%s needs a value", a);                            \
                i++;                                                           \
        } while (0)
                if (!strcmp(a, "--bootstrap")) {
                        NEED();
                        o.bootstrap = v;
                } else if (!strcmp(a, "--topic")) {
                        NEED();
                        if (o.topic_cnt == MAX_TOPICS)
                                die("too many topics");
                        o.partitions[o.topic_cnt] = 1;
                        o.topics[o.topic_cnt++]   = v;
                } else if (!strcmp(a, "--partitions")) {
                        NEED();
                        if (!o.topic_cnt)
                                die("--partitions follows its --topic");
                        o.partitions[o.topic_cnt - 1] = atoi(v);
                } else if (!strcmp(a, "--count")) {
                        NEED();
                        o.count = atoll(v);
                } else if (!strcmp(a, "--size")) {
                        NEED();
                        o.size = atoi(v);
                } else if (!strcmp(a, "--acks")) {
                        NEED();
                        o.acks = v;
                } else if (!strcmp(a, "--compression")) {
                        NEED();
                        o.compression = v;
                } else if (!strcmp(a, "--linger-ms")) {
                        NEED();
                        o.linger_ms = atoi(v);
                } else if (!strcmp(a, "--batch-size")) {
                        NEED();
                        o.batch_size = atoi(v);
                } else if (!strcmp(a, "--idempotence")) {
                        o.idempotence = 1;
                } else if (!strcmp(a, "--group")) {
                        NEED();
                        o.group = v;
                } else if (!strcmp(a, "--window")) {
                        NEED();
                        o.window = atoll(v);
                } else if (!strcmp(a, "--rate")) {
                        NEED();
                        o.rate = atoi(v);
                } else if (!strcmp(a, "--duration-s")) {
                        NEED();
                        o.duration_s = atof(v);
                } else if (!strcmp(a, "--warmup-s")) {
                        NEED();
                        o.warmup_s = atof(v);
                } else if (!strcmp(a, "--timeout-s")) {
                        NEED();
                        o.timeout_s = atof(v);
                } else if (!strcmp(a, "--stall-s")) {
                        NEED();
                        o.stall_s = atof(v);
                } else if (!strcmp(a, "--bytes")) {
                        NEED();
                        o.bytes = atoll(v);
                } else if (!strcmp(a, "--dir")) {
                        NEED();
                        o.dir = v;
                } else if (!strcmp(a, "-X")) {
                        NEED();
                        char *eq = strchr(v, '=');
                        if (!eq || o.x_cnt == MAX_X)
                                die("-X wants key=value");
                        o.xkeys[o.x_cnt]   = strndup(v, (size_t)(eq - v));
                        o.xvals[o.x_cnt++] = eq + 1;
                } else {
                        die("unknown option %s", a);
                }
#undef NEED
        }
        if (o.size < 0 || o.count < 0)
                die("--size and --count must not be negative");
}

/* -------------------------------------------------------------------- time */

static inline int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
        (void)sig;
        interrupted = 1;
}

static int64_t deadline_ns;
static int past_deadline(void) {
        return interrupted || now_ns() > deadline_ns;
}

/* What the run is doing, for the watchdog's report. */
static const char *volatile phase = "starting";

/* librdkafka calls such as rd_kafka_query_watermark_offsets() can block past
 * their own timeout when a broker misbehaves; the watchdog makes --timeout-s
 * a hard limit that still ends with a JSON line. */
static void *watchdog(void *arg) {
        (void)arg;
        int64_t grace = deadline_ns + 5000000000LL;
        struct timespec ts = {.tv_sec  = grace / 1000000000LL,
                              .tv_nsec = grace % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
                ;
        if (!strcmp(phase, "done"))
                _exit(0); /* the result is out; only the teardown hung */
        char line[256];
        int n = snprintf(line, sizeof(line),
                         "{\"mode\":\"%s\",\"status\":\"timeout\","
                         "\"phase\":\"%s\",\"watchdog\":true}\n",
                         o.mode, phase);
        fflush(stdout);
        if (write(STDOUT_FILENO, line, (size_t)n) < 0)
                _exit(4);
        _exit(3);
}

static int stalled_since(int64_t last_progress_ns) {
        return now_ns() - last_progress_ns > (int64_t)(o.stall_s * 1e9);
}

/* ----------------------------------------------- diagnostics from librdkafka */

/* The first few distinct warnings are kept for the JSON so that a broker's
 * misbehaviour (disconnects, protocol errors) shows up in the bench report. */
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;
static char *notes[MAX_NOTES];
static int note_cnt;
static long long warn_cnt;

static void add_note(const char *msg) {
        pthread_mutex_lock(&notes_lock);
        warn_cnt++;
        int dup = 0;
        for (int i = 0; i < note_cnt; i++)
                if (!strcmp(notes[i], msg))
                        dup = 1;
        if (!dup && note_cnt < MAX_NOTES)
                notes[note_cnt++] = strdup(msg);
        pthread_mutex_unlock(&notes_lock);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
        (void)rk;
        fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
        if (level <= 4) {
                char line[512];
                snprintf(line, sizeof(line), "%s: %s", fac, buf);
                add_note(line);
        }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
        (void)rk;
        (void)opaque;
        char line[512];
        snprintf(line, sizeof(line), "error %s: %s",
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
        fprintf(stderr, "rdkafka %s\n", line);
        add_note(line);
}

/* -------------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void json_notes(FILE *f) {
        fprintf(f, "\"warnings\":%lld,\"notes\":[", warn_cnt);
        for (int i = 0; i < note_cnt; i++) {
                if (i)
                        fputc(',', f);
                json_str(f, notes[i]);
        }
        fputc(']', f);
}

/* ------------------------------------------------------------- percentiles */

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

/* Prints "lat_ms":{...} from microsecond samples (sorted in place). */
static void json_latency(FILE *f, uint32_t *us, long long n) {
        if (n == 0) {
                fprintf(f, "\"lat_ms\":null");
                return;
        }
        qsort(us, (size_t)n, sizeof(*us), cmp_u32);
#define PCT(p) (us[(long long)((double)(n - 1) * (p))] / 1000.0)
        fprintf(f,
                "\"lat_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
                "\"max\":%.3f,\"samples\":%lld}",
                PCT(0.50), PCT(0.99), PCT(0.999), us[n - 1] / 1000.0, n);
#undef PCT
}

/* ------------------------------------------------------------ client setup */

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
        char err[512];
        if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK)
                die("%s=%s: %s", k, v, err);
}

static void seti(rd_kafka_conf_t *conf, const char *k, long long v) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", v);
        set(conf, k, buf);
}

static rd_kafka_conf_t *base_conf(void) {
        if (!o.bootstrap)
                die("--bootstrap is required");
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", o.bootstrap);
        set(conf, "client.id", "gregor-perf");
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        return conf;
}

static void apply_x(rd_kafka_conf_t *conf) {
        for (int i = 0; i < o.x_cnt; i++)
                set(conf, o.xkeys[i], o.xvals[i]);
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
        char err[512];
        apply_x(conf);
        rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
        if (!rk)
                die("rd_kafka_new: %s", err);
        return rk;
}

static void producer_settings(rd_kafka_conf_t *conf) {
        set(conf, "acks", o.acks);
        set(conf, "compression.codec", o.compression);
        if (o.linger_ms >= 0)
                seti(conf, "linger.ms", o.linger_ms);
        if (o.batch_size > 0)
                seti(conf, "batch.size", o.batch_size);
        if (o.idempotence)
                set(conf, "enable.idempotence", "true");
}

static const char *one_topic(void) {
        if (o.topic_cnt != 1)
                die("exactly one --topic is required");
        return o.topics[0];
}

/* Partition count of a topic from Metadata; 0 when unknown or in error. */
static int partition_count(rd_kafka_t *rk, const char *topic) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *md;
        int cnt = 0;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (md->topic_cnt == 1 && !md->topics[0].err)
                        cnt = md->topics[0].partition_cnt;
                rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
        return cnt;
}

/* Random upper-case letters as in Kafka's perf tools: compressible like text,
 * and a pool of distinct payloads so that batches are not one repeated value. */
static char *payload_pool(int size) {
        size_t n   = (size_t)size * PAYLOAD_POOL;
        char *pool = malloc(n ? n : 1);
        unsigned seed = 42;
        for (size_t i = 0; i < n; i++)
                pool[i] = (char)('A' + rand_r(&seed) % 26);
        return pool;
}

/* CPU seconds (user + system) this process has used, all its threads. */
static double cpu_s(void) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ------------------------------------------------------------------ produce */

static uint32_t *delivery_us; /* delivery latency per delivered message */
static long long delivered, failed;
static int64_t last_dr_ns;
static char first_error[256];

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        (void)rk;
        (void)opaque;
        last_dr_ns = now_ns();
        if (m->err) {
                if (!failed++)
                        snprintf(first_error, sizeof(first_error), "%s: %s",
                                 rd_kafka_err2name(m->err),
                                 rd_kafka_err2str(m->err));
                return;
        }
        /* librdkafka stamps every message at produce() already. */
        int64_t lat = rd_kafka_message_latency(m);
        delivery_us[delivered++] = lat < 0 ? 0 : (uint32_t)lat;
}

static int do_produce(void) {
        const char *topic      = one_topic();
        if (!o.acks)
                o.acks = "1";
        rd_kafka_conf_t *conf  = base_conf();
        producer_settings(conf);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        rd_kafka_t *rk         = new_client(RD_KAFKA_PRODUCER, conf);
        rd_kafka_topic_t *rkt  = rd_kafka_topic_new(rk, topic, NULL);
        char *pool             = payload_pool(o.size);

        delivery_us = malloc(sizeof(*delivery_us) * (size_t)(o.count + 1));

        /* Metadata first, so that connection set-up is not timed. */
        phase     = "metadata";
        int parts = partition_count(rk, topic);
        if (!parts)
                die("topic %s has no partitions in Metadata", topic);

        phase              = "producing";
        double cpu0        = cpu_s();
        int64_t t0         = now_ns();
        long long sent     = 0;
        const char *status = "ok";
        last_dr_ns         = t0;
        while (sent < o.count) {
                if (past_deadline()) {
                        status = "timeout";
                        break;
                }
                /* The pool outlives the producer, so no copy is needed. */
                /* Round-robin rather than librdkafka's sticky partitioner, so
                 * that a many-partition run really loads every partition. */
                if (rd_kafka_produce(rkt, (int32_t)(sent % parts), 0,
                                     pool + (sent % PAYLOAD_POOL) * o.size,
                                     (size_t)o.size, NULL, 0, NULL) == -1) {
                        rd_kafka_resp_err_t err = rd_kafka_last_error();
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                rd_kafka_poll(rk, 1);
                                if (stalled_since(last_dr_ns)) {
                                        status = "stalled";
                                        break;
                                }
                                continue;
                        }
                        snprintf(first_error, sizeof(first_error), "%s",
                                 rd_kafka_err2str(err));
                        status = "error";
                        break;
                }
                sent++;
                if ((sent & 1023) == 0)
                        rd_kafka_poll(rk, 0);
        }
        phase = "flushing";
        while (delivered + failed < sent && !past_deadline() &&
               !stalled_since(last_dr_ns))
                rd_kafka_flush(rk, 100);
        int64_t t1 = now_ns();
        double cpu1 = cpu_s();
        if (delivered + failed < sent && !strcmp(status, "ok"))
                status = past_deadline() ? "timeout" : "stalled";
        if (failed && !strcmp(status, "ok"))
                status = "error";

        double secs = (double)(t1 - t0) / 1e9;
        printf("{\"mode\":\"produce\",\"status\":\"%s\",\"topic\":", status);
        json_str(stdout, topic);
        printf(",\"partitions\":%d,\"count\":%lld,\"size\":%d,\"acks\":\"%s\","
               "\"compression\":\"%s\",\"linger_ms\":%d,\"idempotence\":%s,"
               "\"sent\":%lld,\"delivered\":%lld,\"failed\":%lld,"
               "\"elapsed_s\":%.3f,\"msgs_per_s\":%.0f,\"mib_per_s\":%.2f,"
               "\"client_cpu_s\":%.3f,",
               parts, o.count, o.size, o.acks, o.compression, o.linger_ms,
               o.idempotence ? "true" : "false", sent, delivered, failed, secs,
               delivered / secs, delivered * (double)o.size / 1048576.0 / secs,
               cpu1 - cpu0);
        json_latency(stdout, delivery_us, delivered);
        printf(",\"first_error\":");
        json_str(stdout, first_error);
        putchar(',');
        json_notes(stdout);
        printf("}\n");
        phase = "done";

        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return strcmp(status, "ok") != 0;
}

/* ------------------------------------------------------------------ consume */

struct part_range {
        int64_t start, end; /* [start, end) read by the consumer, wrapping */
};

static struct part_range *ranges;
static int range_cnt;

/* Offsets [start, end) for each partition: from the log start offset, or the
 * last `window` offsets, up to the high watermark at the time of the call. */
static long long plan_ranges(rd_kafka_t *rk, const char *topic, int parts) {
        long long total = 0;
        ranges          = calloc((size_t)parts, sizeof(*ranges));
        range_cnt       = parts;
        for (int p = 0; p < parts; p++) {
                int64_t lo, hi;
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                    rk, topic, p, &lo, &hi, 10000);
                if (err)
                        die("watermarks of %s [%d]: %s", topic, p,
                            rd_kafka_err2str(err));
                if (o.window > 0 && hi - o.window > lo)
                        lo = hi - o.window;
                ranges[p].start = lo;
                ranges[p].end   = hi;
                total += hi - lo;
        }
        return total;
}

/* Assign mode uses the simple (legacy) consumer: the high-level consumer
 * requires a group.id and then looks up a coordinator even when it only
 * assigns, which would charge group support to the assign rows. */
struct reader {
        rd_kafka_t *rk;
        rd_kafka_topic_t *rkt;  /* assign mode */
        rd_kafka_queue_t *q;    /* assign mode */
        int started;
};

static void reader_assign(struct reader *r, const char *topic) {
        r->rkt = rd_kafka_topic_new(r->rk, topic, NULL);
        r->q   = rd_kafka_queue_new(r->rk);
        for (int p = 0; p < range_cnt; p++)
                if (ranges[p].end > ranges[p].start) {
                        if (rd_kafka_consume_start_queue(
                                r->rkt, p, ranges[p].start, r->q) == -1)
                                die("consume_start %s [%d]: %s", topic, p,
                                    rd_kafka_err2str(rd_kafka_last_error()));
                        r->started++;
                }
}

static rd_kafka_message_t *reader_poll(struct reader *r, int timeout_ms) {
        if (r->q)
                return rd_kafka_consume_queue(r->q, timeout_ms);
        return rd_kafka_consumer_poll(r->rk, timeout_ms);
}

static void reader_close(struct reader *r) {
        if (r->q) {
                for (int p = 0; p < range_cnt; p++)
                        if (ranges[p].end > ranges[p].start)
                                rd_kafka_consume_stop(r->rkt, p);
                rd_kafka_queue_destroy(r->q);
                rd_kafka_topic_destroy(r->rkt);
        } else {
                rd_kafka_consumer_close(r->rk);
        }
        rd_kafka_destroy(r->rk);
}

static int assigned;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                /* Start where the plan says, as in assign mode, so that both
                 * modes read exactly the same offsets. */
                for (int i = 0; i < parts->cnt; i++) {
                        int p = parts->elems[i].partition;
                        if (p < range_cnt)
                                parts->elems[i].offset = ranges[p].start;
                }
                rd_kafka_assign(rk, parts);
                assigned += parts->cnt;
        } else {
                rd_kafka_assign(rk, NULL);
                assigned = 0;
        }
}

static int do_consume(void) {
        const char *topic = one_topic();
        rd_kafka_conf_t *conf = base_conf();
        set(conf, "enable.auto.commit", "false");
        set(conf, "auto.offset.reset", "earliest");
        /* librdkafka 2.0 stops fetching a partition whose queue holds more
         * than queued.min.messages and looks again only on its next wake-up
         * (up to 1 s later). One Fetch of compressed 100 B records can carry
         * ~100k of them, so the default (100k) would time that back-off. */
        set(conf, "queued.min.messages", "1000000");
        /* A wrap seeks while a long-poll Fetch at the window's end is in
         * flight; the seek waits for it, so keep that wait short. */
        if (o.window > 0)
                set(conf, "fetch.wait.max.ms", "1");
        if (o.group) {
                set(conf, "group.id", o.group);
                rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        }
        struct reader r = {.rk = new_client(RD_KAFKA_CONSUMER, conf)};
        if (o.group)
                rd_kafka_poll_set_consumer(r.rk);

        phase     = "metadata";
        int parts = partition_count(r.rk, topic);
        if (!parts)
                die("topic %s has no partitions in Metadata", topic);
        phase               = "watermarks (ListOffsets)";
        long long available = plan_ranges(r.rk, topic, parts);
        long long want      = o.count;
        /* Without a window nothing is re-read: the count is what exists. */
        if (o.window <= 0 && want > available)
                want = available;
        if (available == 0)
                die("topic %s is empty", topic);

        phase           = o.group ? "joining group" : "consuming";
        int64_t t_start = now_ns();
        if (o.group) {
                rd_kafka_topic_partition_list_t *sub =
                    rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(sub, topic,
                                                  RD_KAFKA_PARTITION_UA);
                rd_kafka_resp_err_t err = rd_kafka_subscribe(r.rk, sub);
                rd_kafka_topic_partition_list_destroy(sub);
                if (err)
                        die("subscribe: %s", rd_kafka_err2str(err));
        } else {
                reader_assign(&r, topic);
                assigned = r.started;
        }

        long long got = 0, bytes = 0, wraps = 0, consume_errors = 0;
        long long got_at_check = 0;
        int64_t t_first = 0, t_last = now_ns();
        const char *status = "ok";
        rd_kafka_topic_partition_list_t *seek =
            rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(seek, topic, 0);
        while (got < want) {
                rd_kafka_message_t *m = reader_poll(&r, 100);
                /* Clocks are read when idle or every 4096 messages only. */
                if (!m || (got & 4095) == 0) {
                        int64_t t = now_ns();
                        if (got != got_at_check) {
                                t_last       = t;
                                got_at_check = got;
                        }
                        /* Joining a group may legitimately take a while. */
                        int stalled =
                            t - t_last > (int64_t)(o.stall_s * 1e9) &&
                            (t_first || t - t_last > 30000000000LL);
                        if (past_deadline() || stalled) {
                                status = stalled ? "stalled" : "timeout";
                                if (m)
                                        rd_kafka_message_destroy(m);
                                break;
                        }
                }
                if (!m)
                        continue;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                char line[512];
                                snprintf(line, sizeof(line), "consume %s",
                                         rd_kafka_message_errstr(m));
                                add_note(line);
                                consume_errors++;
                        }
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (!t_first) {
                        t_first = now_ns();
                        phase   = "consuming";
                }
                got++;
                bytes += (long long)m->len;
                int p = m->partition;
                /* Wrap: start the window again once its last offset is read,
                 * for brokers (like the mock) that keep only a short tail. */
                if (o.window > 0 && p < range_cnt &&
                    m->offset + 1 >= ranges[p].end && got < want) {
                        seek->elems[0].partition = p;
                        seek->elems[0].offset    = ranges[p].start;
                        rd_kafka_error_t *se =
                            rd_kafka_seek_partitions(r.rk, seek, 0);
                        if (se)
                                rd_kafka_error_destroy(se);
                        wraps++;
                }
                rd_kafka_message_destroy(m);
        }
        int64_t t_end = now_ns();
        rd_kafka_topic_partition_list_destroy(seek);

        double secs       = t_first ? (double)(t_end - t_first) / 1e9 : 0;
        double total_secs = (double)(t_end - t_start) / 1e9;
        printf("{\"mode\":\"consume\",\"status\":\"%s\",\"topic\":", status);
        json_str(stdout, topic);
        printf(",\"group\":");
        if (o.group)
                json_str(stdout, o.group);
        else
                printf("null");
        printf(",\"partitions\":%d,\"assigned\":%d,\"available\":%lld,"
               "\"window\":%lld,\"wraps\":%lld,\"count\":%lld,\"got\":%lld,"
               "\"bytes\":%lld,\"first_msg_ms\":%.1f,\"elapsed_s\":%.3f,"
               "\"total_s\":%.3f,\"msgs_per_s\":%.0f,\"mib_per_s\":%.2f,"
               "\"consume_errors\":%lld,",
               parts, assigned, available, o.window, wraps, want, got, bytes,
               t_first ? (double)(t_first - t_start) / 1e6 : -1.0, secs,
               total_secs, secs > 0 ? got / secs : 0,
               secs > 0 ? bytes / 1048576.0 / secs : 0, consume_errors);
        json_notes(stdout);
        printf("}\n");
        phase = "done";

        reader_close(&r);
        return strcmp(status, "ok") != 0;
}

/* ------------------------------------------------------------------ latency */

struct lat_state {
        rd_kafka_t *producer;
        rd_kafka_topic_t *rkt;
        long long total;   /* messages to send */
        _Atomic long long sent;
        _Atomic long long produce_errors;
        _Atomic int done;
        _Atomic int stop;  /* set by the consumer side on its deadline */
};

static void lat_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        (void)rk;
        (void)opaque;
        if (m->err) {
                if (!failed++)
                        snprintf(first_error, sizeof(first_error), "%s: %s",
                                 rd_kafka_err2name(m->err),
                                 rd_kafka_err2str(m->err));
        }
}

/* Sends at a fixed rate on an absolute schedule; the send time goes into the
 * payload so that the consumer (same process, same clock) can measure. */
static void *lat_producer(void *arg) {
        struct lat_state *s = arg;
        int size            = o.size < 16 ? 16 : o.size;
        char *buf           = malloc((size_t)size);
        memset(buf, 'x', (size_t)size);
        int64_t period = 1000000000LL / o.rate;
        int64_t start  = now_ns();
        for (long long i = 0; i < s->total && !interrupted && !s->stop; i++) {
                int64_t due = start + i * period;
                struct timespec ts = {.tv_sec  = due / 1000000000LL,
                                      .tv_nsec = due % 1000000000LL};
                if (now_ns() < due)
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
                                        NULL);
                int64_t t = now_ns();
                memcpy(buf, &t, 8);
                memcpy(buf + 8, &i, 8);
                while (rd_kafka_produce(s->rkt, RD_KAFKA_PARTITION_UA,
                                        RD_KAFKA_MSG_F_COPY, buf, (size_t)size,
                                        NULL, 0, NULL) == -1) {
                        if (rd_kafka_last_error() !=
                                RD_KAFKA_RESP_ERR__QUEUE_FULL ||
                            interrupted || s->stop) {
                                s->produce_errors++;
                                break;
                        }
                        rd_kafka_poll(s->producer, 1);
                }
                s->sent = i + 1;
                rd_kafka_poll(s->producer, 0);
        }
        rd_kafka_flush(s->producer, 10000);
        free(buf);
        s->done = 1;
        return NULL;
}

static int do_latency(void) {
        const char *topic = one_topic();
        int size          = o.size < 16 ? 16 : o.size;

        rd_kafka_conf_t *pconf = base_conf();
        if (o.linger_ms < 0)
                o.linger_ms = 1;
        if (!o.acks)
                o.acks = "all";
        producer_settings(pconf);
        set(pconf, "socket.nagle.disable", "true");
        rd_kafka_conf_set_dr_msg_cb(pconf, lat_dr_cb);
        rd_kafka_t *prod = new_client(RD_KAFKA_PRODUCER, pconf);

        rd_kafka_conf_t *cconf = base_conf();
        set(cconf, "enable.auto.commit", "false");
        set(cconf, "fetch.wait.max.ms", "1");
        set(cconf, "fetch.min.bytes", "1");
        set(cconf, "socket.nagle.disable", "true");
        struct reader r = {.rk = new_client(RD_KAFKA_CONSUMER, cconf)};

        phase     = "metadata";
        int parts = partition_count(r.rk, topic);
        if (!parts)
                die("topic %s has no partitions in Metadata", topic);
        /* Start at the current end: only this run's messages are timed. */
        phase = "watermarks (ListOffsets)";
        plan_ranges(r.rk, topic, parts);
        for (int p = 0; p < parts; p++) {
                ranges[p].start = ranges[p].end;
                ranges[p].end   = INT64_MAX;
        }
        reader_assign(&r, topic);
        partition_count(prod, topic); /* connect the producer before timing */

        long long warm  = (long long)(o.warmup_s * o.rate);
        long long total = warm + (long long)(o.duration_s * o.rate);
        uint32_t *us    = malloc(sizeof(*us) * (size_t)(total + 1));
        struct lat_state s = {.producer = prod,
                              .rkt      = rd_kafka_topic_new(prod, topic, NULL),
                              .total    = total};
        pthread_t thr;
        phase = "running";
        pthread_create(&thr, NULL, lat_producer, &s);

        long long got = 0, samples = 0, dup_or_old = 0;
        const char *status = "ok";
        int64_t last_rx = now_ns();
        /* Expect every message; give up 5 s after the last send when some
         * never arrive. */
        while (got < total) {
                if (past_deadline()) {
                        status = "timeout";
                        break;
                }
                if (s.done && now_ns() - last_rx > 5000000000LL)
                        break;
                rd_kafka_message_t *m = reader_poll(&r, 100);
                if (!m)
                        continue;
                int64_t t = now_ns();
                last_rx   = t;
                if (m->err) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (m->len >= 16) {
                        int64_t ts;
                        long long seq;
                        memcpy(&ts, m->payload, 8);
                        memcpy(&seq, (char *)m->payload + 8, 8);
                        got++;
                        if (seq >= warm && samples < total)
                                us[samples++] = (uint32_t)((t - ts) / 1000);
                } else {
                        dup_or_old++;
                }
                rd_kafka_message_destroy(m);
        }
        s.stop = 1;
        pthread_join(thr, NULL);
        if (got < total && !strcmp(status, "ok"))
                status = "incomplete";

        printf("{\"mode\":\"latency\",\"status\":\"%s\",\"topic\":", status);
        json_str(stdout, topic);
        printf(",\"partitions\":%d,\"rate\":%d,\"duration_s\":%.1f,"
               "\"warmup_s\":%.1f,\"size\":%d,\"acks\":\"%s\",\"linger_ms\":%d,"
               "\"sent\":%lld,\"received\":%lld,\"produce_failed\":%lld,"
               "\"unexpected\":%lld,",
               parts, o.rate, o.duration_s, o.warmup_s, size, o.acks,
               o.linger_ms, (long long)s.sent, got,
               failed + (long long)s.produce_errors, dup_or_old);
        json_latency(stdout, us, samples);
        printf(",\"first_error\":");
        json_str(stdout, first_error);
        putchar(',');
        json_notes(stdout);
        printf("}\n");
        phase = "done";

        rd_kafka_topic_destroy(s.rkt);
        reader_close(&r);
        rd_kafka_destroy(prod);
        return strcmp(status, "ok") != 0;
}

/* ------------------------------------------------------------ create-topics */

static int do_create_topics(void) {
        if (!o.topic_cnt)
                die("--topic is required");
        rd_kafka_conf_t *conf = base_conf();
        /* The Metadata probes below must not auto-create with the broker's
         * default partition count. */
        set(conf, "allow.auto.create.topics", "false");
        rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
        char err[512];
        char request_error[512] = "";
        rd_kafka_resp_err_t terr[MAX_TOPICS];
        int got_parts[MAX_TOPICS];

        /* Only topics missing from Metadata are created: the mock has no
         * CreateTopics (its topics come from its command line) and librdkafka
         * waits for a controller it never names. */
        rd_kafka_NewTopic_t *nt[MAX_TOPICS];
        int nt_cnt = 0;
        for (int i = 0; i < o.topic_cnt; i++) {
                got_parts[i] = partition_count(rk, o.topics[i]);
                terr[i]      = RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
                if (got_parts[i])
                        continue;
                terr[i]        = RD_KAFKA_RESP_ERR__TIMED_OUT;
                nt[nt_cnt] = rd_kafka_NewTopic_new(
                    o.topics[i], o.partitions[i], 1, err, sizeof(err));
                if (!nt[nt_cnt])
                        die("NewTopic %s: %s", o.topics[i], err);
                nt_cnt++;
        }
        int wait_ms = (int)((deadline_ns - now_ns()) / 1000000);
        if (nt_cnt && wait_ms > 0) {
                rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
                rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(
                    rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
                rd_kafka_AdminOptions_set_request_timeout(ao, wait_ms, err,
                                                          sizeof(err));
                rd_kafka_CreateTopics(rk, nt, (size_t)nt_cnt, ao, q);
                rd_kafka_event_t *ev = rd_kafka_queue_poll(q, wait_ms + 1000);
                if (!ev) {
                        snprintf(request_error, sizeof(request_error),
                                 "no CreateTopics result in %d ms", wait_ms);
                } else if (rd_kafka_event_error(ev)) {
                        snprintf(request_error, sizeof(request_error),
                                 "%s: %s",
                                 rd_kafka_err2name(rd_kafka_event_error(ev)),
                                 rd_kafka_event_error_string(ev));
                } else {
                        size_t n;
                        const rd_kafka_topic_result_t **tr =
                            rd_kafka_CreateTopics_result_topics(
                                rd_kafka_event_CreateTopics_result(ev), &n);
                        for (size_t j = 0; j < n; j++)
                                for (int i = 0; i < o.topic_cnt; i++)
                                        if (!strcmp(rd_kafka_topic_result_name(
                                                        tr[j]),
                                                    o.topics[i]))
                                                terr[i] =
                                                    rd_kafka_topic_result_error(
                                                        tr[j]);
                }
                if (ev)
                        rd_kafka_event_destroy(ev);
                rd_kafka_AdminOptions_destroy(ao);
                rd_kafka_queue_destroy(q);
        }

        /* Whatever CreateTopics said, Metadata decides. */
        int ready = 0;
        for (;;) {
                ready = 1;
                for (int i = 0; i < o.topic_cnt; i++) {
                        if (got_parts[i] != o.partitions[i])
                                got_parts[i] = partition_count(rk, o.topics[i]);
                        if (got_parts[i] != o.partitions[i])
                                ready = 0;
                }
                if (ready || past_deadline())
                        break;
                usleep(20000);
        }
        printf("{\"mode\":\"create-topics\",\"status\":\"%s\","
               "\"request_error\":",
               ready ? "ok" : "error");
        json_str(stdout, request_error);
        printf(",\"topics\":[");
        for (int i = 0; i < o.topic_cnt; i++) {
                printf("%s{\"name\":", i ? "," : "");
                json_str(stdout, o.topics[i]);
                printf(",\"partitions\":%d,\"metadata_partitions\":%d,"
                       "\"error\":\"%s\"}",
                       o.partitions[i], got_parts[i], rd_kafka_err2name(terr[i]));
        }
        printf("],");
        json_notes(stdout);
        printf("}\n");
        phase = "done";

        for (int i = 0; i < nt_cnt; i++)
                rd_kafka_NewTopic_destroy(nt[i]);
        rd_kafka_destroy(rk);
        return !ready;
}

/* ------------------------------------------------------------------ offsets */

static int do_offsets(void) {
        const char *topic = one_topic();
        rd_kafka_conf_t *conf = base_conf();
        rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
        int parts = partition_count(rk, topic);
        printf("{\"mode\":\"offsets\",\"status\":\"%s\",\"topic\":",
               parts ? "ok" : "error");
        json_str(stdout, topic);
        printf(",\"partitions\":[");
        if (parts)
                plan_ranges(rk, topic, parts);
        for (int p = 0; p < parts; p++)
                printf("%s{\"partition\":%d,\"low\":%" PRId64 ",\"high\":%" PRId64
                       "}",
                       p ? "," : "", p, ranges[p].start, ranges[p].end);
        printf("],");
        json_notes(stdout);
        printf("}\n");
        phase = "done";
        rd_kafka_destroy(rk);
        return !parts;
}

/* ----------------------------------------------------- machine limit: TCP */

#define IO_CHUNK (256 * 1024)

struct sender_arg {
        int port;
        long long bytes;
};

static void *tcp_sender(void *arg) {
        struct sender_arg *a = arg;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port   = htons((uint16_t)a->port),
                                 .sin_addr   = {htonl(INADDR_LOOPBACK)}};
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
                die("connect: %s", strerror(errno));
        char *buf = calloc(1, IO_CHUNK);
        for (long long left = a->bytes; left > 0;) {
                ssize_t n = write(fd, buf,
                                  left < IO_CHUNK ? (size_t)left : IO_CHUNK);
                if (n <= 0)
                        die("write: %s", strerror(errno));
                left -= n;
        }
        close(fd);
        free(buf);
        return NULL;
}

static int do_loopback(void) {
        long long bytes = o.bytes > 0 ? o.bytes : 8LL << 30;
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_addr   = {htonl(INADDR_LOOPBACK)}};
        socklen_t len = sizeof(sa);
        if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1) ||
            getsockname(lfd, (struct sockaddr *)&sa, &len))
                die("listen: %s", strerror(errno));
        struct sender_arg a = {.port = ntohs(sa.sin_port), .bytes = bytes};
        pthread_t thr;
        pthread_create(&thr, NULL, tcp_sender, &a);
        int fd = accept(lfd, NULL, NULL);
        char *buf = malloc(IO_CHUNK);
        long long got = 0;
        int64_t t0 = now_ns();
        for (;;) {
                ssize_t n = read(fd, buf, IO_CHUNK);
                if (n <= 0)
                        break;
                got += n;
        }
        int64_t t1 = now_ns();
        pthread_join(thr, NULL);
        close(fd);
        close(lfd);
        free(buf);
        double secs = (double)(t1 - t0) / 1e9;
        printf("{\"mode\":\"loopback\",\"status\":\"%s\",\"bytes\":%lld,"
               "\"elapsed_s\":%.3f,\"mib_per_s\":%.1f}\n",
               got == bytes ? "ok" : "error", got, secs,
               got / 1048576.0 / secs);
        return got != bytes;
}

/* ------------------------------------------------ machine limit: page cache */

static int do_diskwrite(void) {
        if (!o.dir)
                die("--dir is required");
        long long bytes = o.bytes > 0 ? o.bytes : 1LL << 30;
        char path[4096];
        snprintf(path, sizeof(path), "%s/gregor-perf-diskwrite.%d", o.dir,
                 (int)getpid());
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        char *buf = malloc(1 << 20);
        memset(buf, 'g', 1 << 20);
        int64_t t0 = now_ns();
        long long done = 0;
        while (done < bytes) {
                ssize_t n = write(fd, buf, 1 << 20);
                if (n <= 0)
                        die("write: %s", strerror(errno));
                done += n;
        }
        int64_t t1 = now_ns();
        close(fd); /* no fsync: the page cache is the limit being measured */
        unlink(path);
        free(buf);
        double secs = (double)(t1 - t0) / 1e9;
        printf("{\"mode\":\"diskwrite\",\"status\":\"ok\",\"bytes\":%lld,"
               "\"elapsed_s\":%.3f,\"mib_per_s\":%.1f}\n",
               done, secs, done / 1048576.0 / secs);
        return 0;
}

/* --------------------------------------------------------------------- main */

int main(int argc, char **argv) {
        parse_args(argc, argv);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        deadline_ns = now_ns() + (int64_t)(o.timeout_s * 1e9);
        setvbuf(stdout, NULL, _IOLBF, 0);
        pthread_t wd;
        pthread_create(&wd, NULL, watchdog, NULL);
        pthread_detach(wd);

        if (!strcmp(o.mode, "version")) {
                printf("{\"mode\":\"version\",\"status\":\"ok\","
                       "\"librdkafka\":\"%s\"}\n",
                       rd_kafka_version_str());
                return 0;
        }
        if (!strcmp(o.mode, "produce"))
                return do_produce();
        if (!strcmp(o.mode, "consume"))
                return do_consume();
        if (!strcmp(o.mode, "latency"))
                return do_latency();
        if (!strcmp(o.mode, "create-topics"))
                return do_create_topics();
        if (!strcmp(o.mode, "offsets"))
                return do_offsets();
        if (!strcmp(o.mode, "loopback"))
                return do_loopback();
        if (!strcmp(o.mode, "diskwrite"))
                return do_diskwrite();
        usage();
        return 2;
}
