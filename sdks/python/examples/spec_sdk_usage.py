# The spec's "Python SDK" usage example (document 000, sdk/python/archon_auth_client/client.py,
# "# Usage example"), kept verbatim: only the import line is added, because in the spec main()
# lives in the client module itself. tests/test_spec_examples.py runs it against the real server
# with base_url and the credentials replaced (the spec's password123 fails the password policy).
import asyncio

from archon_auth_client import ArchonAuthClient, AuthConfig, LoginCredentials, ArchonAuthError

# Usage example
async def main():
    config = AuthConfig(base_url='https://api.archon.ai/v2')
    
    async with ArchonAuthClient(config) as client:
        # Login
        try:
            result = await client.login(LoginCredentials(
                email='user@example.com',
                password='password123',
                remember_me=True
            ))
            print(f"Login successful: {result['data']['user']['name']}")
        except ArchonAuthError as e:
            print(f"Login failed: {e} (Code: {e.code})")
        
        # Authenticate agent
        try:
            agent_auth = await client.authenticate_agent(
                'code_implementer',
                ['file:read', 'file:write', 'git:commit']
            )
            print(f"Agent authenticated with capabilities: {agent_auth['capabilities_granted']}")
        except ArchonAuthError as e:
            print(f"Agent auth failed: {e}")

if __name__ == '__main__':
    asyncio.run(main())
