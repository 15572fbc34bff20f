import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { SecurityEvent, SecurityEventType } from './security-event.entity';

export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

@Injectable()
export class SecurityEventsRepository {
  constructor(
    @InjectRepository(SecurityEvent) private readonly events: Repository<SecurityEvent>,
  ) {}

  /** Records an event, inside the caller's transaction when one is given. */
  async record(event: SecurityEventInput, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(SecurityEvent) : this.events;
    await repository.insert({
      userId: event.userId,
      type: event.type,
      sessionId: event.sessionId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
    });
  }

  latestForUser(userId: string, limit = 50): Promise<SecurityEvent[]> {
    return this.events.find({
      where: { userId },
      order: { at: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const result = await this.events
      .createQueryBuilder()
      .delete()
      .where('at < :cutoff', { cutoff })
      .execute();
    return result.affected ?? 0;
  }
}
