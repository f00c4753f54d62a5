import { handleOf, insertMention, matchUsers, mentionAt } from './mentions';

const users = [
  {
    id: '1',
    username: 'user@acme.test',
    email: 'user@acme.test',
    display_name: 'Uma User',
    status: 'active',
  },
  { id: '2', username: 'owner@acme.test', email: 'owner@acme.test', status: 'active' },
  { id: '3', username: 'bob.smith', email: 'bob@acme.test', display_name: 'Bob Smith', status: 'active' },
];

describe('@mentions', () => {
  it('a handle is one the API reads back whole', () => {
    expect(handleOf(users[0]!)).toBe('user');
    expect(handleOf(users[2]!)).toBe('bob.smith');
    // internal/issue/text.go: @([A-Za-z0-9][A-Za-z0-9._-]{0,63})
    const re = /(?:^|[^\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/g;
    expect([...`hi @${handleOf(users[2]!)} !`.matchAll(re)].map((m) => m[1])).toEqual(['bob.smith']);
  });

  it('finds the @query before the caret, not inside an email', () => {
    expect(mentionAt('ping @bo', 8)).toEqual({ start: 5, query: 'bo' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail me@acme', 12)).toBeUndefined();
    expect(mentionAt('ping @bo and', 12)).toBeUndefined();
  });

  it('inserts the handle and moves the caret after it', () => {
    expect(insertMention('ping @bo please', 5, 8, 'bob.smith')).toEqual({
      text: 'ping @bob.smith  please',
      caret: 16,
    });
  });

  it('matches by handle, email or name', () => {
    expect(matchUsers(users, 'sm').map((u) => u.id)).toEqual(['3']);
    expect(matchUsers(users, 'own').map((u) => u.id)).toEqual(['2']);
    expect(matchUsers(users, 'uma').map((u) => u.id)).toEqual(['1']);
    expect(matchUsers(users, '')).toHaveLength(3);
  });
});
