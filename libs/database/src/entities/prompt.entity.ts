import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A prompt stored once (a passage prompt is ~2.5 KB and repeats 8+ times per step). */
@Entity({ name: 'prompts' })
export class PromptEntity {
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint' })
  id!: string;

  /** SHA-256 of the UTF-8 text. */
  @Column({ name: 'sha256', type: 'bytea', unique: true })
  sha256!: Buffer;

  @Column({ name: 'text', type: 'text' })
  text!: string;
}
