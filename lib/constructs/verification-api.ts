import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_SCOPES } from '../../lambdas/contract';
import type { BerbixVerificationProps } from '../berbix-verification';
import { acknowledge } from './verification-function';

/** Who may call a route. */
export type RouteAccess =
  /** An end-user app (client scope) or the customer's backend (backend scope). */
  | 'clientOrBackend'
  /** The customer's backend only (backend scope). */
  | 'backend'
  /** No JWT; the handler authenticates the request itself (say how in `publicReason`). */
  | 'public';

export interface ApiRoute {
  readonly method: apigw.HttpMethod;
  /** Route path, e.g. `/verifications/{id}`. */
  readonly path: string;
  readonly handler: IFunction;
  readonly access: RouteAccess;
  /** Required for `public` routes: how the handler authenticates the caller instead. */
  readonly publicReason?: string;
}

export interface ThrottlingProps {
  /**
   * Steady-state requests per second for the stage.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Burst capacity for the stage.
   * @default 100
   */
  readonly burstLimit?: number;
}

/** The API's props: the construct's own (documented on `BerbixVerificationProps`) and its routes. */
export type VerificationApiProps = Pick<
  BerbixVerificationProps,
  | 'jwtIssuer'
  | 'jwtAudience'
  | 'clientScope'
  | 'backendScope'
  | 'allowedOrigins'
  | 'throttling'
  | 'logRetention'
> & { readonly routes: readonly ApiRoute[] };

/**
 * The HTTP API (API Gateway v2, payload format 2.0): a JWT authorizer with per-route scopes, a
 * `$default` stage with throttling and JSON access logs (no headers, bodies or query strings).
 */
export class VerificationApi extends Construct {
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly authorizer: HttpJwtAuthorizer;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: VerificationApiProps) {
    super(scope, id);
    const {
      clientScope = DEFAULT_SCOPES.client,
      backendScope = DEFAULT_SCOPES.backend,
      allowedOrigins = [],
      throttling = {},
      logRetention = RetentionDays.ONE_MONTH,
    } = props;
    // Deploy-time values (tokens) are left to API Gateway to check.
    if (!Token.isUnresolved(props.jwtIssuer) && !URL.canParse(props.jwtIssuer))
      throw new Error(`jwtIssuer must be a URL, got ${props.jwtIssuer}`);
    if (props.jwtAudience.length === 0) throw new Error('jwtAudience must name at least one audience');
    if (!Token.isUnresolved(clientScope) && clientScope === backendScope)
      throw new Error('clientScope and backendScope must differ');

    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: [...props.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'berbix-serverless verifications API',
      createDefaultStage: false,
      corsPreflight:
        allowedOrigins.length > 0
          ? {
              allowOrigins: [...allowedOrigins],
              allowMethods: [
                apigw.CorsHttpMethod.GET,
                apigw.CorsHttpMethod.POST,
                apigw.CorsHttpMethod.DELETE,
              ],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-none-match'],
              // The waiting read's version, which a browser client sends back as If-None-Match.
              exposeHeaders: ['etag'],
            }
          : undefined,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttling.rateLimit ?? 50, burstLimit: throttling.burstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTimeEpoch',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sourceIp: '$context.identity.sourceIp',
          }),
        ),
      },
    });

    const scopesFor: Record<Exclude<RouteAccess, 'public'>, string[]> = {
      clientOrBackend: [clientScope, backendScope],
      backend: [backendScope],
    };
    for (const route of props.routes) {
      const integration = new HttpLambdaIntegration(`${route.method}${route.path}`, route.handler);
      if (route.access === 'public') {
        if (!route.publicReason)
          throw new Error(`public route ${route.method} ${route.path} needs a publicReason`);
        const [created] = this.httpApi.addRoutes({ path: route.path, methods: [route.method], integration });
        if (created) acknowledge(created, 'AwsSolutions-APIG4', route.publicReason);
      } else {
        this.httpApi.addRoutes({
          path: route.path,
          methods: [route.method],
          integration,
          authorizer: this.authorizer,
          authorizationScopes: scopesFor[route.access],
        });
      }
    }
  }
}
