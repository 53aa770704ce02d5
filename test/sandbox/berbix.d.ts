// Minimal typings for the official `berbix` SDK 2.0.0, which ships none; only what the tests use.
declare module 'berbix' {
  export class Tokens {
    refreshToken: string;
    accessToken?: string;
    clientToken?: string;
    /** Unix seconds. */
    expiry?: number;
    transactionId?: number;
    response?: Record<string, unknown>;
    static fromRefresh(refreshToken: string): Tokens;
    needsRefresh(): boolean;
  }
  export class EncodedImage {
    constructor(
      base64Image: string,
      imageSubject: string,
      format?: string,
      supplementaryData?: { extractedBarcode?: { barcodeType: string; extractedData: string } },
    );
  }
  export interface UploadResult {
    nextStep: string;
    issues?: string[];
    issueDetails?: { unsupportedIdType?: { visaPageOfPassport?: boolean } };
  }
  /** What the SDK throws for a non-2xx answer (a plain object, not an Error). */
  export interface SdkFailure {
    status: number | null;
    error: string;
    nextStep?: string;
    response?: Record<string, unknown>;
  }
  export class Client {
    constructor(options: {
      apiSecret: string;
      apiHost?: string;
      httpClient?: {
        request(
          host: string,
          method: string,
          path: string,
          headers: Record<string, string>,
          data: string | null,
        ): Promise<{ statusCode: number; parsedBody: unknown }>;
      };
      httpClientOpts?: { timeoutMs?: number };
    });
    createApiOnlyTransaction(options: {
      customerUid: string;
      templateKey: string;
      email?: string;
      phone?: string;
      apiOnlyOpts?: { idCountry?: string; idType?: string };
    }): Promise<Tokens>;
    refreshTokens(tokens: Tokens): Promise<Tokens>;
    fetchTransaction(tokens: Tokens): Promise<Record<string, unknown>>;
    deleteTransaction(tokens: Tokens): Promise<Record<string, unknown>>;
    updateTransaction(
      tokens: Tokens,
      params: { action?: string; note?: string },
    ): Promise<Record<string, unknown>>;
    overrideTransaction(
      tokens: Tokens,
      params: { responsePayload?: string; flags?: string[]; overrideFields?: Record<string, string> },
    ): Promise<Record<string, unknown>>;
    uploadImages(tokens: Tokens, options: { images: EncodedImage[] }): Promise<UploadResult>;
    uploadIdScan(
      tokens: Tokens,
      options: { idScans: Array<{ scanType: string; extractedData: string }> },
    ): Promise<UploadResult>;
    validateSignature(secret: string, body: string, header: string): boolean;
  }
}
