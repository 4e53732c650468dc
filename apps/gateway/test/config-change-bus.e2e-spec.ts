import { ConfigChange, ConfigEntity } from '@tollgate/common';
import { RedisConfigChangeBus } from '@tollgate/config-cache';
import { createRequestPathRedis, createSubscriberRedis } from '@tollgate/redis';
import Redis from 'ioredis';
import { RedisServer } from './support/redis-server';
import { TcpRelay } from './support/tcp-relay';
import { eventually } from './support/test-stack';

/**
 * The change bus between replicas, on a private redis-server the tests stop and restart, with
 * the connections the gateway uses (the publisher is the request path's: no offline queue).
 */
describe('RedisConfigChangeBus (real Redis)', () => {
  let redis: RedisServer;
  const connections: Redis[] = [];
  const buses: RedisConfigChangeBus[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    for (const connection of connections) connection.disconnect();
    await redis?.kill();
  });

  /** A replica's bus, and what its subscriber heard: changes, and resyncs after (re)connecting. */
  const replica = async (url = redis.url): Promise<{ bus: RedisConfigChangeBus; heard: ConfigChange[]; failures: ConfigChange[]; resyncs: number[] }> => {
    const publisher = createRequestPathRedis(url, 'bus-spec-publisher');
    const subscriber = createSubscriberRedis(url, 'bus-spec-subscriber');
    connections.push(publisher, subscriber);
    const heard: ConfigChange[] = [];
    const failures: ConfigChange[] = [];
    const resyncs: number[] = [];
    const bus = new RedisConfigChangeBus(publisher, subscriber, 'bus-spec:config-changes', (_error, change) => failures.push(change));
    buses.push(bus);
    await bus.subscribe(
      (change) => void heard.push(change),
      () => resyncs.push(Date.now()),
    );
    await eventually(async () => (publisher.status === 'ready' ? true : undefined), 5_000, 'publisher connected');
    return { bus, heard, failures, resyncs };
  };

  it('a replica hears its own change once, at once; the others through Redis', async () => {
    const [writer, other] = [await replica(), await replica()];
    const change = { entity: ConfigEntity.Key, id: 'key-1' };
    const published = writer.bus.publish(change);
    // Delivered before the broadcast's round trip.
    expect(writer.heard).toEqual([change]);
    await published;
    await eventually(async () => (other.heard.length === 1 ? true : undefined), 2_000, 'the other replica heard it');
    expect(other.heard).toEqual([change]);
    // Its own message coming back from Redis is not applied a second time.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(writer.heard).toEqual([change]);
  });

  it('with Redis down, the writing replica still applies its change, and the broadcast goes out once Redis is back', async () => {
    const [writer, other] = [await replica(), await replica()];
    await redis.stop();
    const revoked = { entity: ConfigEntity.Key, id: 'revoked-during-the-outage' };
    await writer.bus.publish(revoked);
    expect(writer.heard).toEqual([revoked]);
    expect(writer.failures).toEqual([revoked]);
    expect(other.heard).toEqual([]);
    await redis.restart();
    // Not only a resync after reconnecting: the change itself reaches the other replica.
    await eventually(async () => (other.heard.some((change) => change.id === revoked.id) ? true : undefined), 15_000, 'the held broadcast arrived');
    expect(writer.heard).toEqual([revoked]);
  }, 30_000);

  it('a subscriber cut off without its connection closing (a partition, a frozen Redis) gives it up, and reloads in full once Redis is reachable again', async () => {
    const { relay, port } = await TcpRelay.start(redis.port);
    try {
      const writer = await replica();
      const cutOff = await replica(`redis://127.0.0.1:${port}`);
      await eventually(async () => (cutOff.resyncs.length > 0 ? true : undefined), 5_000, 'the first connection');
      const before = cutOff.resyncs.length;
      // Nothing closes: only the subscriber's own probe can notice that announcements no longer arrive.
      relay.freeze();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const missed = { entity: ConfigEntity.Key, id: 'revoked-during-the-partition' };
      await writer.bus.publish(missed);
      relay.thaw();
      // The reload reads from the database what the announcement would have said. (Without the
      // probe, the subscriber waits on its frozen connection for ever: no reload, nothing heard.)
      await eventually(async () => (cutOff.resyncs.length > before ? true : undefined), 5_000, 'a full reload after the partition');
      const next = { entity: ConfigEntity.Key, id: 'after-the-partition' };
      await writer.bus.publish(next);
      await eventually(async () => (cutOff.heard.some((change) => change.id === next.id) ? true : undefined), 2_000, 'announcements heard again');
    } finally {
      relay.cut();
    }
  });
});
