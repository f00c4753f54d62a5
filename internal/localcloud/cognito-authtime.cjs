// Preloaded into cognito-local (internal/localcloud.CognitoLocal): the
// tokens a refresh mints keep the session's auth_time, as Cognito's do.
// cognito-local stamps the refresh time instead, so a session refreshed
// after "sign out everywhere" (POST /v1/me/sign-out) looked like a new
// sign-in and lived on in every other browser (web/e2e/signout.spec.ts).
// The refresh token cognito-local issues is a JWT whose iat is the sign-in
// time: that is the auth_time a refresh's ID and access tokens carry.
// It also refuses to mint tokens for a disabled user (AdminDisableUser), as
// Cognito refuses their sign-in and refresh ("User is disabled."):
// cognito-local signed them in, so the provider console, sent to sign-in by
// a disabled Root user's 401, signed them in again instead of saying the
// account is disabled (TestADisabledUserCannotSignIn).
'use strict';
const path = require('path');
const { AsyncLocalStorage } = require('async_hooks');

const lib = path.join(process.env.ITR_COGNITO_LOCAL_ROOT, 'lib');
const jwt = require(require.resolve('jsonwebtoken', { paths: [lib] }));
const { JwtTokenGenerator } = require(path.join(lib, 'services', 'tokenGenerator.js'));
const { UserPoolServiceImpl } = require(path.join(lib, 'services', 'userPoolService.js'));
const { NotAuthorizedError } = require(path.join(lib, 'errors.js'));

const signedInAt = new WeakMap(); // request context -> the refresh token's sign-in time
const minting = new AsyncLocalStorage();

const getUser = UserPoolServiceImpl.prototype.getUserByRefreshToken;
UserPoolServiceImpl.prototype.getUserByRefreshToken = async function (ctx, refreshToken) {
  const iat = jwt.decode(refreshToken)?.iat;
  if (ctx && typeof iat === 'number') signedInAt.set(ctx, iat);
  return getUser.call(this, ctx, refreshToken);
};

const generate = JwtTokenGenerator.prototype.generate;
JwtTokenGenerator.prototype.generate = function (ctx, user, groups, client, metadata, source) {
  if (user && user.Enabled === false) return Promise.reject(new NotAuthorizedError('User is disabled.'));
  const kept = source === 'RefreshTokens' && ctx ? signedInAt.get(ctx) : undefined;
  return minting.run(kept, () => generate.call(this, ctx, user, groups, client, metadata, source));
};

const sign = jwt.sign;
jwt.sign = function (payload, ...rest) {
  const kept = minting.getStore();
  if (kept !== undefined && payload && typeof payload === 'object' && 'auth_time' in payload) {
    payload = { ...payload, auth_time: kept };
  }
  return sign.call(this, payload, ...rest);
};
