import { Injectable } from '@nestjs/common';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';

/** A JSON Web Key Set document (RFC 7517): public keys only. */
export interface JwkSetDocument {
  readonly keys: readonly Readonly<Record<string, string>>[];
}

/**
 * The public JWK Set that verifies access tokens: the signing key and every older key still
 * trusted. The keys never change while the process runs, so the document is built once.
 */
@Injectable()
export class JwkSet {
  readonly document: JwkSetDocument;

  constructor(options: ResolvedSessionAuthOptions) {
    this.document = Object.freeze({
      keys: Object.freeze([...options.keys.accessVerification.values()].map((key) => key.jwk)),
    });
  }
}
