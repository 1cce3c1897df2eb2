#!/usr/bin/env python3
"""The spec's CodeImplementerAgent (document 000, "Code Implementer Agent Example"), same structure
and method names, acting for real: every file and git action goes to the tool server
(../tool-server), which asks archon-auth before it touches anything. A delegated ``test_writer``
sub-agent, with narrower paths, writes the tests through the same tool server.

Run (see README.md): ARCHON_URL, ARCHON_EMAIL, ARCHON_PASSWORD, TOOL_SERVER_URL."""
from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Dict, List, Optional

from archon_auth_client import ArchonAuthClient, AuthConfig
from archon_auth_client.agents import path_matches

from tools import ToolClient, ToolRefused

PROJECT = "/project"
TEST_DIR = "/project/src/__tests__"


class CodeImplementerAgent:
    def __init__(self, auth_client: ArchonAuthClient, tool_server_url: str) -> None:
        self.auth_client = auth_client
        self.tool_server_url = tool_server_url
        self.agent_token: Optional[str] = None
        self.agent_id: Optional[str] = None
        self.capabilities: List[str] = []
        self.restrictions: Dict[str, Any] = {}
        self.denial_reasons: Dict[str, str] = {}
        self.tools: Optional[ToolClient] = None
        self.refusals: List[Dict[str, Any]] = []
        self.sub_agents: List["CodeImplementerAgent"] = []

    async def authenticate(self, task_context: Dict[str, Any]) -> None:
        """Authenticate agent with required capabilities."""
        required_capabilities = [
            'file:read', 'file:write', 'file:create', 'git:commit', 'npm:install', 'shell:execute',
            'git:branch', 'git:push',  # real git work needs a branch of its own and a push
        ]
        try:
            auth_result = await self.auth_client.authenticate_agent(
                agent_type='code_implementer', capabilities=required_capabilities,
                task_context=task_context)
            self.agent_token = auth_result['agent_token']
            self.agent_id = auth_result['agent_id']
            self.capabilities = auth_result['capabilities_granted']
            self.restrictions = dict(auth_result['restrictions'])
            self.denial_reasons = auth_result['denial_reasons']
            self.tools = ToolClient(self.tool_server_url, self.agent_token)
            print(f"Agent authenticated with capabilities: {self.capabilities}")
            if auth_result['capabilities_denied']:
                print(f"WARNING: Denied capabilities: {self.denial_reasons}")
        except Exception as e:
            print(f"Agent authentication failed: {e}")
            raise

    async def implement_feature(self, feature_spec: Dict[str, Any]) -> Dict[str, Any]:
        """Implement a feature using granted capabilities."""
        if not self.agent_token:
            raise RuntimeError("Agent not authenticated")
        results: Dict[str, Any] = {'files_created': [], 'files_modified': [], 'tests_added': [],
                                   'git_commits': [], 'refused': self.refusals}
        branch = f"feature/{feature_spec['name']}"
        if 'git:branch' in self.capabilities:
            await self._tool(self._tools().branch(branch))
        if 'file:create' in self.capabilities:
            for file_path, content in self._plan_file_creation(feature_spec).items():
                if self._check_file_path_allowed(file_path):
                    if await self._create_file(file_path, content):
                        results['files_created'].append(file_path)
        if 'file:write' in self.capabilities:
            for file_path, changes in self._plan_file_modifications(feature_spec).items():
                # No local pre-check here: the tool server is the one that decides.
                if await self._modify_file(file_path, changes):
                    results['files_modified'].append(file_path)
        if 'file:create' in self.capabilities:
            writer = await self.delegate_test_writer(feature_spec)
            for test_path, test_content in self._generate_tests(feature_spec).items():
                if await writer._create_file(test_path, test_content):
                    results['tests_added'].append(test_path)
        if 'npm:install' in self.capabilities:
            dependencies = self._get_required_dependencies(feature_spec)
            if dependencies:
                await self._install_dependencies(dependencies)
        else:
            print(f"Skipping npm:install: {self.denial_reasons.get('npm:install', 'not granted')}")
        if 'git:commit' in self.capabilities:
            commit_message = f"Implement {feature_spec['name']}: {feature_spec['description']}"
            commit_hash = await self._git_commit(commit_message)
            if commit_hash:
                results['git_commits'].append(commit_hash)
        if 'git:push' in self.capabilities:
            results['pushed'] = await self._tool(self._tools().push(branch)) is not False
        return results

    async def delegate_test_writer(self, feature_spec: Dict[str, Any]) -> "CodeImplementerAgent":
        """A test_writer sub-agent limited to the test directory, through the same tool server."""
        assert self.agent_token is not None
        child = await self.auth_client.delegate_agent(
            self.agent_token, 'test_writer', ['file:read', 'file:create', 'file:write'],
            restrictions={'file_paths': [TEST_DIR + '/**']},
            task_context={'task_type': 'unit_tests', 'feature': feature_spec['name']})
        sub = CodeImplementerAgent(self.auth_client, self.tool_server_url)
        sub.agent_token, sub.agent_id = child['agent_token'], child['agent_id']
        sub.capabilities, sub.restrictions = child['capabilities_granted'], dict(child['restrictions'])
        sub.tools, sub.refusals = ToolClient(self.tool_server_url, child['agent_token']), self.refusals
        self.sub_agents.append(sub)
        print(f"Delegated test_writer {sub.agent_id} limited to {sub.restrictions['file_paths']}")
        return sub

    async def probe_boundaries(self) -> List[Dict[str, Any]]:
        """Actions beyond the agent's rights, sent straight to the tool server (no local
        pre-check) to show that it refuses them with archon-auth's reason."""
        start = len(self.refusals)
        tools = self._tools()
        await self._tool(tools.read("/project/.env"))
        await self._tool(tools.write("/project/src/../../etc/passwd", "root::0:0::/:/bin/sh\n"))
        await self._tool(tools.push("main"))
        await self._tool(tools.npm_install(["left-pad"]))
        for sub in self.sub_agents:  # the test_writer outside its narrower paths
            await sub._tool(sub._tools().create("/project/src/features/Intruder.ts", "// not a test\n"))
        return self.refusals[start:]

    def _check_file_path_allowed(self, file_path: str) -> bool:
        """The spec's local pre-check, with the real pattern rules (the tool server still decides)."""
        allowed_paths = self.restrictions.get('file_paths', [])
        return any(path_matches(p, self._abs(file_path)) for p in allowed_paths)

    async def _create_file(self, file_path: str, content: str) -> bool:
        print(f"Creating file: {file_path}")
        return await self._tool(self._tools().create(self._abs(file_path), content)) is not False

    async def _modify_file(self, file_path: str, changes: Dict[str, Any]) -> bool:
        print(f"Modifying file: {file_path}")
        path = self._abs(file_path)
        current = await self._tool(self._tools().read(path))
        if current is False:
            return False
        updated = f"{current}// {changes['action']}: {json.dumps(changes['content'])}\n"
        return await self._tool(self._tools().write(path, updated)) is not False

    async def _install_dependencies(self, dependencies: List[str]) -> None:
        print(f"Installing dependencies: {dependencies}")
        await self._tool(self._tools().npm_install(dependencies))

    async def _git_commit(self, message: str) -> Optional[str]:
        print(f"Committing changes: {message}")
        sha = await self._tool(self._tools().commit(message))
        return None if sha is False else str(sha)

    async def _tool(self, action: Any) -> Any:
        """Runs one tool call; a refusal is reported and recorded, not fatal (False)."""
        try:
            return await action
        except ToolRefused as refused:
            print(f"REFUSED by the tool server: {refused.route} ({refused.reason})")
            self.refusals.append({"agent_id": self.agent_id, "route": refused.route,
                                  "reason": refused.reason})
            return False

    def _tools(self) -> ToolClient:
        if self.tools is None:
            raise RuntimeError("Agent not authenticated")
        return self.tools

    @staticmethod
    def _abs(file_path: str) -> str:
        return file_path if file_path.startswith("/") else f"{PROJECT}/{file_path}"

    def _plan_file_creation(self, feature_spec: Dict[str, Any]) -> Dict[str, str]:
        name = feature_spec['name']
        return {f"src/features/{name}.ts": f"// Feature implementation: {feature_spec['description']}\n"
                                          f"export function {name}(): string {{ return '{name}'; }}\n",
                f"src/types/{name}.types.ts": f"export interface {name}Props {{ id: string }}\n"}

    def _plan_file_modifications(self, feature_spec: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
        return {"src/app.ts": {"action": "add_import", "content": f"import {feature_spec['name']}"},
                "package.json": {"action": "add_dependency", "content": feature_spec.get('dependencies', [])}}

    def _generate_tests(self, feature_spec: Dict[str, Any]) -> Dict[str, str]:
        name = feature_spec['name']
        return {f"{TEST_DIR}/{name}.test.ts": f"// Tests for {name}\nimport {{ {name} }} from '../features/{name}';\n"}

    def _get_required_dependencies(self, feature_spec: Dict[str, Any]) -> List[str]:
        return list(feature_spec.get('dependencies', []))

    async def aclose(self) -> None:
        for sub in self.sub_agents:
            await sub.aclose()
        if self.tools is not None:
            await self.tools.aclose()


# Usage example (the spec's main(), with the URLs and credentials from the environment)
async def main() -> None:
    config = AuthConfig(base_url=os.environ.get("ARCHON_URL", "http://127.0.0.1:8181/api/v2"))
    async with ArchonAuthClient(config) as auth_client:
        await auth_client.login({'email': os.environ["ARCHON_EMAIL"],
                                 'password': os.environ["ARCHON_PASSWORD"]})
        agent = CodeImplementerAgent(auth_client, os.environ.get("TOOL_SERVER_URL", "http://127.0.0.1:8282"))
        task_context = {'project_id': 'proj_user_dashboard', 'task_type': 'feature_implementation',
                        'estimated_duration': 1800, 'feature_complexity': 'medium'}
        await agent.authenticate(task_context)
        feature_spec = {'name': 'UserProfile', 'description': 'User profile management component',
                        'type': 'react_component', 'dependencies': ['react-hook-form', 'yup']}
        try:
            results = await agent.implement_feature(feature_spec)
            print(f"Feature implementation results: {json.dumps(results, indent=2)}")
            refused = await agent.probe_boundaries()
            print(f"Refused beyond the agent's rights: {json.dumps(refused, indent=2)}")
        finally:
            await agent.aclose()


if __name__ == '__main__':
    asyncio.run(main())
