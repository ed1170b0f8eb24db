/**
 * The JSON body of a fetch response, loosely typed for assertions in tests (`Response.json()` is
 * `unknown` under Node's types).
 */
export async function jsonOf(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
