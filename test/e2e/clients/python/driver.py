"""Client-matrix driver for the Python clients: confluent-kafka (librdkafka), kafka-python and
aiokafka (asyncio, its own protocol code).

    python driver.py confluent|kafka-python|aiokafka STEP...

Steps and output as the other drivers (test/e2e/clients/README.md): one JSON line per step.
One producer per connection serves every produce step of that connection.
"""

import json
import os
import sys
import time

TIMEOUT_S = int(os.environ.get("MATRIX_TIMEOUT_MS", "15000")) / 1000

# MATRIX_PY_LOG=file: the clients' own debug log (kafka-python's requests and responses) there,
# to see what a client did in a step that failed.
if os.environ.get("MATRIX_PY_LOG"):
    import logging
    logging.basicConfig(level=logging.DEBUG, filename=os.environ["MATRIX_PY_LOG"],
                        format="%(asctime)s %(process)d %(name)s %(message)s")


def emit(op, ok, **rest):
    print(json.dumps({"op": op, "ok": ok, **rest}), flush=True)


def parse_conn(c):
    """'@host:port' or 'MECHANISM:user:password@host:port' -> (bootstrap, mechanism, user, password)."""
    auth, _, bootstrap = c.rpartition("@")
    if not auth:
        return bootstrap, None, None, None
    mech, user, password = auth.split(":", 2)
    return bootstrap, mech, user, password


def kafka_python_conf(c):
    """kafka-python's configuration keys, which aiokafka shares."""
    bootstrap, mech, user, password = parse_conn(c)
    conf = {"bootstrap_servers": bootstrap, "request_timeout_ms": 10000}
    if mech:
        conf.update({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mech,
                     "sasl_plain_username": user, "sasl_plain_password": password})
    return conf


def isolation_level(isolation):
    """kafka-python's and aiokafka's keyword for a consume step's isolation level, when it has one."""
    return {"isolation_level": isolation} if isolation else {}


class Confluent:
    def __init__(self):
        import confluent_kafka
        self.ck = confluent_kafka
        self.producers = {}

    def conf(self, c):
        bootstrap, mech, user, password = parse_conn(c)
        conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000}
        if mech:
            conf.update({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mech,
                         "sasl.username": user, "sasl.password": password})
        return conf

    def produce(self, c, topic, values):
        p = self.producers.get(c)
        if p is None:
            p = self.producers[c] = self.ck.Producer({**self.conf(c), "acks": "all",
                                                      "message.timeout.ms": int(TIMEOUT_S * 1000)})
        errors = []
        for v in values:
            p.produce(topic, v.encode(), on_delivery=lambda err, msg: err and errors.append(err))
            if p.flush(TIMEOUT_S + 5) != 0:
                return emit("produce", False, error="TIMEOUT", message="not delivered")
            if errors:
                return emit("produce", False, error=errors[0].name(), message=errors[0].str())
        emit("produce", True, count=len(values))

    def consume(self, c, topic, group, n, isolation=None):
        conf = {**self.conf(c), "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        if isolation:
            conf["isolation.level"] = isolation
        # "consumer": KIP-848's consumer group protocol (ConsumerGroupHeartbeat), librdkafka 2.4 on.
        if os.environ.get("MATRIX_GROUP_PROTOCOL"):
            conf["group.protocol"] = os.environ["MATRIX_GROUP_PROTOCOL"]
        cons = self.ck.Consumer(conf)
        try:
            cons.subscribe([topic])
            got, deadline = [], time.time() + TIMEOUT_S
            while len(got) < n and time.time() < deadline:
                m = cons.poll(0.3)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == self.ck.KafkaError._PARTITION_EOF:
                        continue
                    return emit("consume", False, error=m.error().name(), message=m.error().str())
                got.append(m.value().decode())
            if len(got) < n:
                return emit("consume", False, error="TIMEOUT", message=f"got {len(got)} of {n}")
            cons.commit(asynchronous=False)
            emit("consume", True, values=got)
        finally:
            cons.close()

    def txn(self, c, topic, transactional_id, plan):
        # librdkafka wants message.timeout.ms <= transaction.timeout.ms
        p = self.ck.Producer({**self.conf(c), "acks": "all", "transactional.id": transactional_id,
                              "transaction.timeout.ms": 10000, "message.timeout.ms": 10000})
        p.init_transactions(TIMEOUT_S)
        for end, values in plan:
            p.begin_transaction()
            for v in values:
                p.produce(topic, v.encode())
            if p.flush(TIMEOUT_S) != 0:
                return emit("txn", False, error="TIMEOUT", message="not delivered")
            if end == "commit":
                p.commit_transaction(TIMEOUT_S)
            else:
                p.abort_transaction(TIMEOUT_S)
        emit("txn", True, transactions=len(plan))

    def list(self, c):
        from confluent_kafka.admin import AdminClient
        md = AdminClient(self.conf(c)).list_topics(timeout=TIMEOUT_S)
        emit("list", True, topics=sorted(md.topics))

    def error_name(self, e):
        if isinstance(e, self.ck.KafkaException) and e.args:
            return e.args[0].name()
        return type(e).__name__

    def close(self):
        for p in self.producers.values():
            p.flush(5)


class KafkaPython:
    def __init__(self):
        import kafka
        self.kafka = kafka
        self.producers = {}

    def conf(self, c):
        return kafka_python_conf(c)

    def produce(self, c, topic, values):
        p = self.producers.get(c)
        if p is None:
            p = self.producers[c] = self.kafka.KafkaProducer(**self.conf(c), acks="all",
                                                             max_block_ms=int(TIMEOUT_S * 1000))
        for v in values:
            p.send(topic, v.encode()).get(timeout=TIMEOUT_S)
        emit("produce", True, count=len(values))

    def consume(self, c, topic, group, n, isolation=None):
        cons = self.kafka.KafkaConsumer(**self.conf(c), group_id=group, enable_auto_commit=False,
                                        auto_offset_reset="earliest", **isolation_level(isolation))
        try:
            # kafka-python 3.0.12 can lose its own assignment: when it leads the group before its
            # metadata names the subscribed topic, it assigns nothing, and the metadata that
            # arrives then starts a second join. If a poll() times out while that join is in
            # flight, the leader's assignment step has already updated the snapshot that
            # need_rejoin() compares (coordinator/consumer.py, _perform_assignment), so
            # join_group_async never awaits the finished join again: no partitions, no
            # heartbeats, nothing read. Seen through Envoy and straight to the brokers. Waiting,
            # once subscribed, until the metadata names the topic's partitions (the snapshot is
            # taken then) makes the first join the only one.
            cons.subscribe([topic])
            cons.partitions_for_topic(topic)
            got, deadline = [], time.time() + TIMEOUT_S
            while len(got) < n and time.time() < deadline:
                for records in cons.poll(timeout_ms=300).values():
                    got.extend(r.value.decode() for r in records)
            if len(got) < n:
                return emit("consume", False, error="TIMEOUT", message=f"got {len(got)} of {n}")
            cons.commit()
            emit("consume", True, values=got)
        finally:
            cons.close()

    def txn(self, c, topic, transactional_id, plan):
        p = self.kafka.KafkaProducer(**self.conf(c), acks="all", transactional_id=transactional_id,
                                     transaction_timeout_ms=10000, max_block_ms=int(TIMEOUT_S * 1000))
        try:
            p.init_transactions()
            for end, values in plan:
                p.begin_transaction()
                for v in values:
                    p.send(topic, v.encode()).get(timeout=TIMEOUT_S)
                if end == "commit":
                    p.commit_transaction()
                else:
                    p.abort_transaction()
            emit("txn", True, transactions=len(plan))
        finally:
            p.close(timeout=5)

    def list(self, c):
        admin = self.kafka.KafkaAdminClient(**self.conf(c))
        try:
            emit("list", True, topics=sorted(admin.list_topics()))
        finally:
            admin.close()

    def error_name(self, e):
        # kafka-python's broker errors carry Kafka's name in `message`
        return getattr(type(e), "message", None) or type(e).__name__

    def close(self):
        for p in self.producers.values():
            p.close(timeout=5)


class AioKafka:
    """aiokafka: each step runs to its end on one event loop, which the producers outlive."""

    def __init__(self):
        import asyncio
        import aiokafka
        import aiokafka.errors
        self.asyncio = asyncio
        self.aiokafka = aiokafka
        self.errors = aiokafka.errors
        self.loop = asyncio.new_event_loop()
        self.producers = {}

    def conf(self, c):
        return kafka_python_conf(c)

    def run(self, coro):
        return self.loop.run_until_complete(self.asyncio.wait_for(coro, TIMEOUT_S))

    def produce(self, c, topic, values):
        async def go():
            p = self.producers.get(c)
            if p is None:
                p = self.aiokafka.AIOKafkaProducer(**self.conf(c), acks="all")
                await p.start()
                self.producers[c] = p
            for v in values:
                await p.send_and_wait(topic, v.encode())
        self.run(go())
        emit("produce", True, count=len(values))

    def consume(self, c, topic, group, n, isolation=None):
        async def go():
            cons = self.aiokafka.AIOKafkaConsumer(topic, **self.conf(c), group_id=group, enable_auto_commit=False,
                                                  auto_offset_reset="earliest", **isolation_level(isolation))
            await cons.start()
            try:
                got = []
                while len(got) < n:
                    for records in (await cons.getmany(timeout_ms=300)).values():
                        got.extend(r.value.decode() for r in records)
                await cons.commit()
                return got
            finally:
                await cons.stop()
        try:
            got = self.run(go())
        except self.asyncio.TimeoutError:
            return emit("consume", False, error="TIMEOUT", message=f"no {n} values in {TIMEOUT_S} s")
        emit("consume", True, values=got)

    def txn(self, c, topic, transactional_id, plan):
        async def go():
            p = self.aiokafka.AIOKafkaProducer(**self.conf(c), acks="all", transactional_id=transactional_id,
                                               transaction_timeout_ms=10000)
            await p.start()
            try:
                for end, values in plan:
                    await p.begin_transaction()
                    for v in values:
                        await p.send_and_wait(topic, v.encode())
                    if end == "commit":
                        await p.commit_transaction()
                    else:
                        await p.abort_transaction()
            finally:
                await p.stop()
        self.run(go())
        emit("txn", True, transactions=len(plan))

    def list(self, c):
        from aiokafka.admin import AIOKafkaAdminClient

        async def go():
            admin = AIOKafkaAdminClient(**self.conf(c))
            await admin.start()
            try:
                return await admin.list_topics()
            finally:
                await admin.close()
        emit("list", True, topics=sorted(self.run(go())))

    def error_name(self, e):
        if isinstance(e, self.asyncio.TimeoutError):
            return "TIMEOUT"
        # aiokafka's broker errors carry Kafka's name in `message`, as kafka-python's
        return getattr(type(e), "message", None) or type(e).__name__

    def close(self):
        for p in self.producers.values():
            self.loop.run_until_complete(p.stop())
        self.loop.close()


CLIENTS = {"confluent": Confluent, "kafka-python": KafkaPython, "aiokafka": AioKafka}


def main():
    client = CLIENTS[sys.argv[1]]()
    for step in sys.argv[2:]:
        a = step.split("|")
        try:
            if a[0] == "produce":
                client.produce(a[1], a[2], a[3].split(","))
            elif a[0] == "consume":
                client.consume(a[1], a[2], a[3], int(a[4]), a[5] if len(a) > 5 else None)
            elif a[0] == "txn":
                plan = [(t.split(":", 1)[0], t.split(":", 1)[1].split(",")) for t in a[4].split(";")]
                client.txn(a[1], a[2], a[3], plan)
            elif a[0] == "list":
                client.list(a[1])
            else:
                raise ValueError("unknown step " + a[0])
        except Exception as e:  # the step failed: report what the client said
            emit(a[0], False, error=client.error_name(e), message=str(e)[:500])
    client.close()


if __name__ == "__main__":
    main()
