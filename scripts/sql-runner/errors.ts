// A failure that names where it happened, so an operator can open the file at the right line.
export class SqlFileError extends Error {
  readonly location: string;
  readonly sqlstate: string | undefined;

  constructor(folder: string, file: string, line: number | undefined, sqlstate: string | undefined, detail: string, advice: string) {
    const location = `${folder}/${file}${line === undefined ? '' : `:${line}`}`;
    super(`${location}: ${sqlstate ? `SQLSTATE ${sqlstate}: ` : ''}${detail}\n  ${advice}`);
    this.location = location;
    this.sqlstate = sqlstate;
  }
}

export class SqlFolderError extends Error {}
