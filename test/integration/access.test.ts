import { api, createVerification, getVerification, newUser } from './support/api';

describe('who may see a verification', () => {
  it("answers 404 to another user's token", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const v = await createVerification(owner.token);
    const res = await getVerification(v.id, stranger.token);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'not_found' } });
    expect((await getVerification(v.id, owner.token)).status).toBe(200);
  });

  it('refuses the result to an end-user token', async () => {
    const owner = await newUser();
    const v = await createVerification(owner.token);
    const res = await api('GET', `/verifications/${v.id}/result`, { token: owner.token });
    expect(res.status).toBe(403);
  });

  it('refuses a request without a token with 401', async () => {
    const res = await api('POST', '/verifications', { json: {} });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
  });
});
