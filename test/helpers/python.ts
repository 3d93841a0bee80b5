// Runs the Python client scripts in test/interop/py/ with Debian's python3 (which has kafka-python
// and confluent-kafka): a JSON object in on stdin, one JSON document out on stdout.
import { PYTHON, pyScript } from './paths.js'
import { runOk } from './processes.js'

export type PythonClient = 'kafka_python_client.py' | 'confluent_client.py' | 'idempotent_client.py'

export async function runPython<T>(script: PythonClient, command: string, args: object, timeoutMs = 60_000): Promise<T> {
  const { stdout } = await runOk(PYTHON, [pyScript(script), command], { input: JSON.stringify(args), timeoutMs })
  const lastLine = stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(lastLine) as T
  } catch {
    throw new Error(`${script} ${command}: no JSON result on stdout: ${stdout}`)
  }
}
